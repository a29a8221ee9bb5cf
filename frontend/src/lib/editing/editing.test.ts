import { describe, expect, it, vi } from 'vitest';
import type { Collaborator, EditableTrack, EditingApi, UpdateTrackResult } from '$lib/api/editing';
import { editingApi } from '$lib/api/editing';
import { GraphQLClient, TonearmApi } from '$lib/api/graphql';
import { graphqlFetch, sampleTrack } from '$lib/testing';
import { CollaboratorsPanel } from './collaborators.svelte';
import { AlbumEditForm, TrackEditForm, formField, trackChanges, fieldsOf } from './track-edit.svelte';

const editable: EditableTrack = {
	id: 'VHJhY2s6MQ==',
	title: 'Old Title',
	artists: [{ name: 'Crosby, Stills & Nash' }, { name: 'Mirela' }],
	album: { id: 'QWxidW06MQ==', title: 'Album' },
	albumArtist: null,
	trackNumber: 3,
	discNumber: null,
	year: 2001,
	genre: 'Folk',
	lyrics: null,
	isExplicit: false,
	isPublished: true,
	overriddenFields: ['title', 'track_number', 'is_explicit'],
	canEdit: true,
	viewerRole: 'OWNER',
	isUpload: true
};

const ada: Collaborator = {
	user: { id: 'VXNlcjox', username: 'ada' },
	role: 'OWNER',
	inherited: false,
	addedAt: '2026-12-01T10:00:00Z'
};
const zoe: Collaborator = {
	user: { id: 'VXNlcjoy', username: 'zoe' },
	role: 'VIEWER',
	inherited: false,
	addedAt: '2026-12-01T11:00:00Z'
};

function fakeApi(): { [K in keyof EditingApi]: ReturnType<typeof vi.fn<EditingApi[K]>> } {
	return {
		editableTrack: vi.fn<EditingApi['editableTrack']>(async () => editable),
		updateTrack: vi.fn<EditingApi['updateTrack']>(async (_id, input) => {
			const next = { ...editable, ...(input.title ? { title: input.title } : {}) };
			return { kind: 'updated', track: sampleTrack(1, { title: next.title }), editable: next };
		}),
		updateAlbum: vi.fn<EditingApi['updateAlbum']>(async (id) => ({ kind: 'updated', albumId: id })),
		collaborators: vi.fn<EditingApi['collaborators']>(async () => [ada]),
		userByUsername: vi.fn<EditingApi['userByUsername']>(async (username) =>
			username.toLowerCase() === 'zoe' ? { id: zoe.user.id, username: 'zoe' } : null
		),
		addCollaborator: vi.fn<EditingApi['addCollaborator']>(async () => ({ kind: 'updated', collaborators: [ada, zoe] })),
		updateCollaborator: vi.fn<EditingApi['updateCollaborator']>(async (_t, _u, role) => ({
			kind: 'updated',
			collaborators: [ada, { ...zoe, role }]
		})),
		removeCollaborator: vi.fn<EditingApi['removeCollaborator']>(async () => ({ kind: 'updated', collaborators: [ada] }))
	};
}

describe('the track edit form', () => {
	it('sends only the fields that changed, parsed', () => {
		const original = fieldsOf(editable);
		expect(original.artists).toBe('Crosby, Stills & Nash; Mirela');
		const values = {
			...original,
			title: ' New ',
			artists: 'Crosby, Stills & Nash;  Mirela ; ',
			year: '',
			genre: ' ',
			trackNumber: '4',
			explicit: true
		};
		expect(trackChanges(original, values)).toEqual({
			input: {
				title: 'New',
				artists: ['Crosby, Stills & Nash', 'Mirela'],
				year: null,
				genre: null,
				trackNumber: 4,
				explicit: true
			},
			errors: {}
		});
		expect(trackChanges(original, original).input).toEqual({});
	});

	it('refuses an empty title and a number that is not one, before sending', async () => {
		const api = fakeApi();
		const form = new TrackEditForm(api, editable.id);
		await form.load();
		form.values.title = '  ';
		form.values.discNumber = '2b';
		await expect(form.save()).resolves.toBeNull();
		expect(form.fieldErrors).toEqual({ title: 'A track needs a title.', discNumber: 'Enter a whole number.' });
		expect(api.updateTrack).not.toHaveBeenCalled();
	});

	it('saves a title and hands back the track for the lists', async () => {
		const api = fakeApi();
		const form = new TrackEditForm(api, editable.id);
		await form.load();
		expect(form.status).toBe('ready');
		form.values.title = 'New Title';
		expect(form.dirty).toBe(true);

		const track = await form.save();

		expect(api.updateTrack).toHaveBeenCalledWith(editable.id, { title: 'New Title' });
		expect(track?.title).toBe('New Title');
		expect(form.saved).toBe(true);
		expect(form.dirty).toBe(false);
		expect(form.original.title).toBe('New Title');
	});

	it('puts the server’s refusal next to its field', async () => {
		const api = fakeApi();
		api.updateTrack.mockResolvedValueOnce({
			kind: 'invalid',
			field: 'track_number',
			message: 'Must be at least 1.'
		} satisfies UpdateTrackResult);
		const form = new TrackEditForm(api, editable.id);
		await form.load();
		form.values.trackNumber = '9';
		await form.save();
		expect(form.fieldErrors).toEqual({ trackNumber: 'Must be at least 1.' });
		expect(form.formError).toBeNull();

		api.updateTrack.mockResolvedValueOnce({ kind: 'refused', message: 'You may not edit this track.' });
		await form.save();
		expect(form.formError).toBe('You may not edit this track.');
	});

	it('shows which fields are overridden, whatever the spelling', async () => {
		const form = new TrackEditForm(fakeApi(), editable.id);
		await form.load();
		expect([...form.overridden].sort()).toEqual(['explicit', 'title', 'trackNumber']);
		expect(formField('albumArtist')).toBe('albumArtist');
		expect(formField('album_artist')).toBe('albumArtist');
		expect(formField('nonsense')).toBeNull();
		expect(form.isOwner).toBe(true);
	});

	it('says so when the track is not there (or not visible)', async () => {
		const api = fakeApi();
		api.editableTrack.mockResolvedValueOnce(null);
		const form = new TrackEditForm(api, 'x');
		await form.load();
		expect(form.status).toBe('gone');
	});

	it('bulk-edits an album, sending the changed fields only', async () => {
		const api = fakeApi();
		const form = new AlbumEditForm(api, 'QWxidW06MQ==', { title: 'Album', albumArtist: 'A', year: '2001', genre: '' });
		form.values.year = '1999';
		form.values.genre = 'Jazz';
		await expect(form.save()).resolves.toBe(true);
		expect(api.updateAlbum).toHaveBeenCalledWith('QWxidW06MQ==', { year: 1999, genre: 'Jazz' });
		expect(form.savedId).toBe('QWxidW06MQ==');
		await expect(form.save()).resolves.toBe(false);
		expect(form.formError).toBe('Nothing has changed.');
	});
});

describe('the collaborators panel', () => {
	const target = { kind: 'track' as const, id: editable.id };

	it('adds someone by username with a role', async () => {
		const api = fakeApi();
		const panel = new CollaboratorsPanel(api, target);
		await panel.load();
		expect(panel.collaborators).toEqual([ada]);

		await expect(panel.add(' Zoe ', 'VIEWER')).resolves.toBe(true);

		expect(api.userByUsername).toHaveBeenCalledWith('Zoe');
		expect(api.addCollaborator).toHaveBeenCalledWith(target, zoe.user.id, 'VIEWER');
		expect(panel.collaborators.map((c) => c.user.username)).toEqual(['ada', 'zoe']);
	});

	it('says there is no such user, and adds nothing', async () => {
		const api = fakeApi();
		const panel = new CollaboratorsPanel(api, target);
		await expect(panel.add('nobody', 'EDITOR')).resolves.toBe(false);
		expect(panel.addError).toBe('There is no user named “nobody”.');
		expect(api.addCollaborator).not.toHaveBeenCalled();
		await expect(panel.add('   ', 'EDITOR')).resolves.toBe(false);
		expect(panel.addError).toBe('Enter a username.');
	});

	it('keeps the last owner and says why on that row', async () => {
		const api = fakeApi();
		api.updateCollaborator.mockResolvedValueOnce({
			kind: 'refused',
			reason: 'LastOwnerError',
			message: 'A track needs at least one owner.'
		});
		const panel = new CollaboratorsPanel(api, target);
		await panel.load();
		await panel.setRole(ada, 'VIEWER');
		expect(panel.collaborators).toEqual([ada]);
		expect(panel.rowErrors).toEqual({ [ada.user.id]: 'A track needs at least one owner.' });
		expect(panel.pending).toEqual({});
	});

	it('changes a role and removes; an inherited role is left alone', async () => {
		const api = fakeApi();
		const panel = new CollaboratorsPanel(api, target);
		await panel.setRole(zoe, 'EDITOR');
		expect(panel.collaborators[1]?.role).toBe('EDITOR');
		await panel.remove(zoe);
		expect(panel.collaborators).toEqual([ada]);

		await panel.remove({ ...ada, inherited: true });
		expect(api.removeCollaborator).toHaveBeenCalledTimes(1);
	});
});

describe('the editing operations', () => {
	it('flattens updateTrack and sends the input as given', async () => {
		const server = graphqlFetch(() => ({
			data: { updateTrack: { __typename: 'InvalidTrackInputError', message: 'Title cannot be empty.', field: 'title' } }
		}));
		const api = editingApi(new TonearmApi(new GraphQLClient({ fetch: server.fetch })));
		await expect(api.updateTrack('t', { title: '' })).resolves.toEqual({
			kind: 'invalid',
			field: 'title',
			message: 'Title cannot be empty.'
		});
		expect(server.requests[0]?.operation).toBe('PlayerUpdateTrack');
		expect(server.requests[0]?.variables).toEqual({ id: 't', input: { title: '' } });
	});

	it('runs the album or track collaborator mutation with its own id argument', async () => {
		const server = graphqlFetch((r) => ({
			data: {
				[r.operation === 'PlayerAddAlbumCollaborator' ? 'addAlbumCollaborator' : 'removeTrackCollaborator']:
					r.operation === 'PlayerAddAlbumCollaborator'
						? { __typename: 'Album', id: 'a', collaborators: [ada] }
						: { __typename: 'LastOwnerError', message: 'last owner' }
			}
		}));
		const api = editingApi(new TonearmApi(new GraphQLClient({ fetch: server.fetch })));
		await expect(api.addCollaborator({ kind: 'album', id: 'a' }, 'u', 'EDITOR')).resolves.toEqual({
			kind: 'updated',
			collaborators: [ada]
		});
		await expect(api.removeCollaborator({ kind: 'track', id: 't' }, 'u')).resolves.toEqual({
			kind: 'refused',
			reason: 'LastOwnerError',
			message: 'last owner'
		});
		expect(server.requests.map((r) => r.variables)).toEqual([
			{ albumId: 'a', userId: 'u', role: 'EDITOR' },
			{ trackId: 't', userId: 'u' }
		]);
	});
});
