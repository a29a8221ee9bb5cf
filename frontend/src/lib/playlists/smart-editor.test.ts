import { describe, expect, it } from 'vitest';
import { GraphQLClient, TonearmApi } from '$lib/api/graphql';
import { playlistsApi } from '$lib/api/playlists';
import { graphqlFetch, samplePlaylist, sampleTrack } from '$lib/testing';
import { PREVIEW_DELAY_MS, SmartEditor, type Timers } from './smart-editor.svelte';
import { newRow, toRow, toRule, withField } from './smart-rules';

/** Timers run by hand: `flush()` runs what is due. */
function manualTimers() {
	const due: { run: () => void; ms: number; id: number }[] = [];
	let next = 0;
	const timers: Timers = {
		set(run, ms) {
			due.push({ run, ms, id: ++next });
			return next;
		},
		clear(handle) {
			const at = due.findIndex((t) => t.id === handle);
			if (at >= 0) due.splice(at, 1);
		}
	};
	return {
		timers,
		pending: () => due.map((t) => t.ms),
		flush() {
			for (const t of due.splice(0)) t.run();
		}
	};
}

function editorWith(answers: unknown[], playlist = null as Parameters<typeof samplePlaylist>[1] | null) {
	const server = graphqlFetch(() => {
		const answer = answers.shift();
		if (answer instanceof Error) throw answer;
		return answer;
	});
	const clock = manualTimers();
	const api = playlistsApi(new TonearmApi(new GraphQLClient({ fetch: server.fetch })));
	const editor = new SmartEditor(
		api,
		playlist ? samplePlaylist(9, { isSmart: true, ...playlist }) : null,
		clock.timers
	);
	return { editor, requests: server.requests, clock };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('smart rules', () => {
	it('turns rows into rules with typed values', () => {
		expect(toRule({ field: 'genre', operator: 'is', value: 'Jazz', value2: '' })).toEqual({
			rule: { field: 'genre', operator: 'is', value: 'Jazz' }
		});
		expect(toRule({ field: 'year', operator: 'between', value: '1950', value2: '1969' })).toEqual({
			rule: { field: 'year', operator: 'between', value: [1950, 1969] }
		});
		expect(toRule({ field: 'lastPlayedAt', operator: 'notInTheLast', value: '90', value2: '' })).toEqual({
			rule: { field: 'lastPlayedAt', operator: 'notInTheLast', value: 90 }
		});
		expect(toRule({ field: 'addedAt', operator: 'after', value: '2026-01-31', value2: '' })).toEqual({
			rule: { field: 'addedAt', operator: 'after', value: '2026-01-31' }
		});
		expect(toRule({ field: 'liked', operator: 'isTrue', value: '', value2: '' })).toEqual({
			rule: { field: 'liked', operator: 'isTrue', value: null }
		});
	});

	it('says what a row lacks', () => {
		expect(toRule({ field: 'year', operator: 'gt', value: 'soon', value2: '' })).toEqual({ problem: 'Type a number.' });
		expect(toRule({ field: 'year', operator: 'between', value: '1970', value2: '1960' })).toEqual({
			problem: 'The first number must not be above the second.'
		});
		expect(toRule({ field: 'addedAt', operator: 'inTheLast', value: '1.5', value2: '' })).toEqual({
			problem: 'Type a whole number of days.'
		});
		expect(toRule({ field: 'title', operator: 'contains', value: '', value2: '' })).toEqual({
			problem: 'Type a value.'
		});
	});

	it('keeps the operator when the new field has it, else takes the field’s first', () => {
		expect(withField({ field: 'genre', operator: 'contains', value: 'Ja', value2: '' }, 'title')).toEqual({
			field: 'title',
			operator: 'contains',
			value: 'Ja',
			value2: ''
		});
		expect(withField({ field: 'genre', operator: 'contains', value: 'Ja', value2: '' }, 'year')).toEqual(
			newRow('year')
		);
		expect(toRow({ field: 'year', operator: 'between', value: [1950, 1969] })).toEqual({
			field: 'year',
			operator: 'between',
			value: '1950',
			value2: '1969'
		});
	});
});

describe('SmartEditor', () => {
	const preview = (trackCount: number) => ({
		data: {
			smartPlaylistPreview: {
				__typename: 'SmartPlaylistPreview',
				trackCount,
				durationSeconds: trackCount * 180,
				tracks: [sampleTrack(1)]
			}
		}
	});

	it('previews the count once the changes stop, with the rules as the server takes them', async () => {
		const { editor, requests, clock } = editorWith([preview(12)]);
		editor.rows = [{ field: 'genre', operator: 'is', value: 'J', value2: '' }];
		editor.changed();
		editor.rows = [{ field: 'genre', operator: 'is', value: 'Jazz', value2: '' }];
		editor.changed();
		expect(clock.pending()).toEqual([PREVIEW_DELAY_MS]); // one timer: the first was replaced
		expect(requests).toEqual([]);
		clock.flush();
		await settle();
		expect(requests.map((r) => [r.operation, r.variables])).toEqual([
			[
				'PlayerSmartPlaylistPreview',
				{
					rules: {
						match: 'ALL',
						rules: [{ field: 'genre', operator: 'is', value: 'Jazz' }],
						orderBy: 'ARTIST',
						orderPeriodDays: null,
						limit: null
					}
				}
			]
		]);
		expect(editor.preview).toEqual({ kind: 'ready', trackCount: 12, durationSeconds: 2160, titles: ['Track 1'] });
	});

	it('does not ask while a row is incomplete', async () => {
		const { editor, requests, clock } = editorWith([]);
		editor.changed();
		clock.flush();
		await settle();
		expect(requests).toEqual([]);
		expect(editor.preview).toEqual({ kind: 'idle' });
	});

	it('shows the server’s rules error against the rule it names', async () => {
		const { editor, clock } = editorWith([
			{
				data: {
					smartPlaylistPreview: {
						__typename: 'InvalidSmartRulesError',
						message: 'Unknown genre operator.',
						ruleIndex: 1,
						smartField: 'genre'
					}
				}
			}
		]);
		editor.rows = [
			{ field: 'year', operator: 'gt', value: '1990', value2: '' },
			{ field: 'genre', operator: 'is', value: 'Jazz', value2: '' }
		];
		editor.changed();
		clock.flush();
		await settle();
		expect(editor.rowErrors).toEqual([null, 'Unknown genre operator.']);
		expect(editor.preview.kind).toBe('invalid');
	});

	it('creates a smart playlist with its name and rules', async () => {
		const saved = samplePlaylist(3, { isSmart: true, name: 'Jazz' });
		const { editor, requests } = editorWith([{ data: { createSmartPlaylist: { __typename: 'Playlist', ...saved } } }]);
		editor.name = 'Jazz';
		editor.match = 'ANY';
		editor.rows = [{ field: 'genre', operator: 'is', value: 'Jazz', value2: '' }];
		editor.limit = '50';
		editor.orderBy = 'MOST_PLAYED';
		editor.orderPeriodDays = '30';
		expect((await editor.save())?.id).toBe('playlist-3');
		expect(requests[0]?.operation).toBe('PlayerCreateSmartPlaylist');
		expect(requests[0]?.variables).toEqual({
			input: {
				name: 'Jazz',
				rules: {
					match: 'ANY',
					rules: [{ field: 'genre', operator: 'is', value: 'Jazz' }],
					orderBy: 'MOST_PLAYED',
					orderPeriodDays: 30,
					limit: 50
				}
			}
		});
	});

	it('updates an existing smart playlist, starting from its rules', async () => {
		const { editor, requests } = editorWith(
			[
				{
					data: {
						updatePlaylist: {
							__typename: 'InvalidSmartRulesError',
							message: 'Bad year.',
							ruleIndex: 0,
							smartField: 'year'
						}
					}
				}
			],
			{
				name: 'Sixties',
				rules: {
					match: 'ALL',
					rules: [{ field: 'year', operator: 'between', value: [1960, 1969] }],
					orderBy: 'YEAR',
					orderPeriodDays: null,
					limit: null
				}
			}
		);
		expect(editor.rows).toEqual([{ field: 'year', operator: 'between', value: '1960', value2: '1969' }]);
		expect(await editor.save()).toBeNull();
		expect(requests[0]).toMatchObject({ operation: 'PlayerUpdatePlaylist', variables: { id: 'playlist-9' } });
		expect(editor.rowErrors).toEqual(['Bad year.']);
	});

	it('shows its own problems without asking the server', async () => {
		const { editor, requests } = editorWith([]);
		editor.rows = [{ field: 'year', operator: 'gt', value: '', value2: '' }];
		editor.limit = '-1';
		expect(await editor.save()).toBeNull();
		expect(editor.nameError).toBe('Give the playlist a name.');
		expect(editor.rowErrors).toEqual(['Type a number.']);
		expect(editor.formError).toBe('The limit is a whole number above 0.');
		expect(requests).toEqual([]);
	});
});
