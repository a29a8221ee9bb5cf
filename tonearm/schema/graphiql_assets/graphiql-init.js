// Starts GraphiQL against the endpoint this page was served from. Kept out of the HTML so
// the page's Content-Security-Policy can forbid inline scripts.
(function () {
  "use strict";
  const parameters = new URLSearchParams(window.location.search);
  const endpoint = window.location.pathname;
  // Subscriptions go over a graphql-transport-ws socket on the same path (the bundle
  // carries the graphql-ws client); the Headers tab's Authorization is sent in
  // connection_init, and the session cookie goes with the handshake.
  const socketScheme = window.location.protocol === "https:" ? "wss:" : "ws:";
  const subscriptionUrl = socketScheme + "//" + window.location.host + endpoint;

  function remember(name, value) {
    if (value) {
      parameters.set(name, value);
    } else {
      parameters.delete(name);
    }
    const search = parameters.toString();
    history.replaceState(null, "", search ? "?" + search : window.location.pathname);
  }

  function App() {
    const [query, setQuery] = React.useState(parameters.get("query") || undefined);
    const [variables, setVariables] = React.useState(parameters.get("variables") || undefined);
    return React.createElement(GraphiQL, {
      fetcher: GraphiQL.createFetcher({ url: endpoint, subscriptionUrl: subscriptionUrl }),
      plugins: [GraphiQLPluginExplorer.explorerPlugin()],
      defaultEditorToolsVisibility: true,
      query: query,
      variables: variables,
      onEditQuery: function (value) { setQuery(value); remember("query", value); },
      onEditVariables: function (value) { setVariables(value); remember("variables", value); },
    });
  }

  ReactDOM.createRoot(document.getElementById("graphiql")).render(React.createElement(App));
})();
