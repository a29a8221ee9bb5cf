import { SESSION_ENDED_MESSAGE, TonearmApi, describeError } from '$lib/api/graphql';
import type { AuthMode, Viewer, ViewerInfo } from '$lib/api/types';
import { IDLE, loginOutcome, loginRequestFailed, type LoginFormState } from './auth';

/**
 * - `checking`: asking the server who is signed in (first load, or Retry);
 * - `unavailable`: that question failed (server down…), so we cannot tell;
 * - `signed-out`: show the login screen;
 * - `signed-in`: show the library.
 */
export type SessionStatus = 'checking' | 'unavailable' | 'signed-out' | 'signed-in';

/**
 * Who is using the player. The session itself is the server's httpOnly cookie; this class
 * only knows what the server said about it (`viewer`, `login`, `logout`) and drives the
 * login screen. A request elsewhere that finds the session gone calls `end()`.
 */
export class Session {
	status = $state<SessionStatus>('checking');
	viewer = $state.raw<Viewer | null>(null);
	authMode = $state<AuthMode>('REQUIRED');
	/** Why the viewer check failed (status `unavailable`). */
	checkError = $state.raw<unknown>(null);

	/** The login form's state: submitting, or why the last attempt did not sign in. */
	form = $state.raw<LoginFormState>(IDLE);
	/** A note above the form, e.g. that the previous session has ended. */
	notice = $state<string | null>(null);

	loggingOut = $state(false);
	logoutError = $state<string | null>(null);

	submitting = $derived(this.form.kind === 'submitting');
	/** Accounts are on and someone is signed in: offer “Log out”. */
	canLogOut = $derived(this.status === 'signed-in' && this.authMode === 'REQUIRED' && this.viewer !== null);
	/** Signed in with a one-time password: a new password comes before anything else. */
	needsNewPassword = $derived(this.status === 'signed-in' && this.viewer?.mustChangePassword === true);
	/** May manage users (the server checks again on every request). */
	isAdmin = $derived(this.status === 'signed-in' && this.viewer?.role === 'ADMIN');
	/** Has a password and sessions of their own (not the local admin of TONEARM_AUTH=none). */
	hasAccount = $derived(this.status === 'signed-in' && this.authMode === 'REQUIRED' && this.viewer !== null);

	readonly #api: TonearmApi;
	#checkSeq = 0;

	constructor(api: TonearmApi = new TonearmApi()) {
		this.#api = api;
	}

	/**
	 * Ask the server who is signed in, or take `answer`: the reply to a request for that
	 * already made (applied at once, before this returns, when it is no longer a promise).
	 */
	async check(answer?: ViewerInfo | Promise<ViewerInfo>): Promise<void> {
		const seq = ++this.#checkSeq;
		this.status = 'checking';
		this.checkError = null;
		try {
			const info = answer && !(answer instanceof Promise) ? answer : await (answer ?? this.#api.viewer());
			if (seq !== this.#checkSeq) return;
			this.authMode = info.authMode;
			this.viewer = info.viewer;
			this.status = info.viewer ? 'signed-in' : 'signed-out';
		} catch (error) {
			if (seq !== this.#checkSeq) return;
			this.checkError = error;
			this.status = 'unavailable';
		}
	}

	/**
	 * Ask again, quietly, while signed in (e.g. when the tab becomes visible): a changed role
	 * shows at once. Resolves false when the session has ended (disabled account, signed out
	 * from another browser), for the caller to `end()` it as any request that found out
	 * would; a failed request changes nothing.
	 */
	async revalidate(): Promise<boolean> {
		if (this.status !== 'signed-in') return true;
		const seq = this.#checkSeq;
		let info: ViewerInfo;
		try {
			info = await this.#api.viewer();
		} catch {
			return true; // offline for a moment: the next real request will tell
		}
		if (seq !== this.#checkSeq || this.status !== 'signed-in') return true;
		if (!info.viewer || info.viewer.id !== this.viewer?.id) return false;
		this.viewer = info.viewer;
		return true;
	}

	/** Submit the login form. Resolves true once signed in. */
	async logIn(username: string, password: string): Promise<boolean> {
		if (this.submitting) return false;
		this.form = { kind: 'submitting' };
		let result;
		try {
			result = await this.#api.login(username.trim(), password);
		} catch (error) {
			this.form = loginRequestFailed(error);
			return false;
		}
		const problem = loginOutcome(result);
		if (problem || result.kind !== 'signed-in') {
			this.form = problem ?? IDLE;
			return false;
		}
		this.#checkSeq++; // a viewer check still in flight is out of date now
		this.viewer = result.viewer;
		this.notice = null;
		this.logoutError = null;
		this.form = IDLE;
		this.status = 'signed-in';
		return true;
	}

	/** End the session on the server. Resolves false (and says why) when that failed. */
	async logOut(): Promise<boolean> {
		if (this.loggingOut) return false;
		this.loggingOut = true;
		this.logoutError = null;
		try {
			await this.#api.logout(); // `false` (no session left) is just as signed out
		} catch (error) {
			this.logoutError = `Could not log out. ${describeError(error)}`;
			return false;
		} finally {
			this.loggingOut = false;
		}
		this.#signedOut(null);
		return true;
	}

	/** The viewer chose a new password (`changePassword` answered with the updated viewer). */
	passwordChanged(viewer: Viewer): void {
		if (this.status !== 'signed-in' || this.viewer?.id !== viewer.id) return;
		this.viewer = viewer;
	}

	/** A request found the session gone (expired, logged out elsewhere, account disabled). */
	end(): void {
		if (this.status !== 'signed-in') return;
		this.#signedOut(SESSION_ENDED_MESSAGE);
	}

	#signedOut(notice: string | null): void {
		this.#checkSeq++;
		this.viewer = null;
		this.notice = notice;
		this.form = IDLE;
		this.logoutError = null;
		this.status = 'signed-out';
	}
}
