/**
 * Editing and sharing: the operations behind the track edit dialog (`updateTrack`), the
 * album bulk edit (`updateAlbum`) and the collaborators panel (`userByUsername`,
 * `add/update/removeTrackCollaborator` and the album ones), with their unions flattened.
 */
import { TRACK_FIELDS } from './fragments';
import type { TonearmApi } from './graphql';
import type { Track } from './types';

export type CollaboratorRole = 'OWNER' | 'EDITOR' | 'VIEWER';

export const COLLABORATOR_ROLES: readonly { value: CollaboratorRole; label: string }[] = [
	{ value: 'OWNER', label: 'Owner' },
	{ value: 'EDITOR', label: 'Editor' },
	{ value: 'VIEWER', label: 'Viewer' }
];

export interface Collaborator {
	user: { id: string; username: string };
	role: CollaboratorRole;
	/** Comes from the album (an album owner): not removable or changeable on the track. */
	inherited: boolean;
	addedAt: string;
}

/** A track with everything its edit dialog shows. */
export interface EditableTrack {
	id: string;
	title: string;
	artists: { name: string }[];
	album: { id: string; title: string } | null;
	albumArtist: string | null;
	trackNumber: number | null;
	discNumber: number | null;
	year: number | null;
	genre: string | null;
	lyrics: string | null;
	isExplicit: boolean;
	isPublished: boolean;
	/** TrackInput field names whose value is an edit, not the file's tag. */
	overriddenFields: string[];
	canEdit: boolean;
	viewerRole: CollaboratorRole | null;
	isUpload: boolean;
}

/** `updateTrack`'s input: omitted fields stay as they are, null clears a field. */
export interface TrackInput {
	title?: string;
	artists?: string[];
	album?: string | null;
	albumArtist?: string | null;
	trackNumber?: number | null;
	discNumber?: number | null;
	year?: number | null;
	genre?: string | null;
	lyrics?: string | null;
	explicit?: boolean;
	published?: boolean;
}

export interface AlbumInput {
	title?: string;
	albumArtist?: string | null;
	year?: number | null;
	genre?: string | null;
}

/** `updateTrack`'s union, flattened: the track as lists show it and as the dialog does. */
export type UpdateTrackResult =
	| { kind: 'updated'; track: Track; editable: EditableTrack }
	| { kind: 'invalid'; field: string | null; message: string }
	| { kind: 'refused'; message: string };

export type UpdateAlbumResult =
	| { kind: 'updated'; albumId: string }
	| { kind: 'invalid'; field: string | null; message: string }
	| { kind: 'refused'; message: string };

/** A collaborator mutation's union, flattened: the new list, or why not. */
export type CollaboratorsResult =
	{ kind: 'updated'; collaborators: Collaborator[] } | { kind: 'refused'; reason: string; message: string };

export type ShareTarget = { kind: 'track' | 'album'; id: string };

const EDITABLE_TRACK_FIELDS = /* GraphQL */ `
	fragment PlayerEditableTrack on Track {
		id
		title
		artists {
			name
		}
		album {
			id
			title
		}
		albumArtist
		trackNumber
		discNumber
		year
		genre
		lyrics
		isExplicit
		isPublished
		overriddenFields
		canEdit
		viewerRole
		isUpload
	}
`;

const COLLABORATORS = /* GraphQL */ `
	collaborators {
		user {
			id
			username
		}
		role
		inherited
		addedAt
	}
`;

export const EDITABLE_TRACK_QUERY = /* GraphQL */ `
	query PlayerEditableTrack($id: ID!) {
		track(id: $id) {
			...PlayerEditableTrack
		}
	}
	${EDITABLE_TRACK_FIELDS}
`;

export const UPDATE_TRACK_MUTATION = /* GraphQL */ `
	mutation PlayerUpdateTrack($id: ID!, $input: TrackInput!) {
		updateTrack(id: $id, input: $input) {
			__typename
			... on Track {
				...PlayerTrack
				...PlayerEditableTrack
			}
			... on TrackNotFoundError {
				message
			}
			... on EditNotAllowedError {
				message
			}
			... on InvalidTrackInputError {
				message
				field
			}
		}
	}
	${TRACK_FIELDS}
	${EDITABLE_TRACK_FIELDS}
`;

export const UPDATE_ALBUM_MUTATION = /* GraphQL */ `
	mutation PlayerUpdateAlbum($id: ID!, $input: AlbumInput!) {
		updateAlbum(id: $id, input: $input) {
			__typename
			... on Album {
				id
			}
			... on AlbumNotFoundError {
				message
			}
			... on EditNotAllowedError {
				message
			}
			... on InvalidTrackInputError {
				message
				field
			}
		}
	}
`;

export const TRACK_COLLABORATORS_QUERY = /* GraphQL */ `
	query PlayerTrackCollaborators($id: ID!) {
		track(id: $id) {
			id
			${COLLABORATORS}
		}
	}
`;

export const ALBUM_COLLABORATORS_QUERY = /* GraphQL */ `
	query PlayerAlbumCollaborators($id: ID!) {
		album(id: $id) {
			id
			${COLLABORATORS}
		}
	}
`;

export const USER_BY_USERNAME_QUERY = /* GraphQL */ `
	query PlayerUserByUsername($username: String!) {
		userByUsername(username: $username) {
			id
			username
		}
	}
`;

const COLLABORATOR_ERRORS = /* GraphQL */ `
	... on EditNotAllowedError {
		message
	}
	... on UserNotFoundError {
		message
	}
	... on LastOwnerError {
		message
	}
	... on CollaboratorNotFoundError {
		message
	}
`;

function trackCollaboratorsMutation(name: string, field: string, withRole: boolean): string {
	return /* GraphQL */ `
	mutation ${name}($trackId: ID!, $userId: ID!${withRole ? ', $role: CollaboratorRole!' : ''}) {
		${field}(trackId: $trackId, userId: $userId${withRole ? ', role: $role' : ''}) {
			__typename
			... on Track {
				id
				${COLLABORATORS}
			}
			... on TrackNotFoundError {
				message
			}
			${COLLABORATOR_ERRORS}
		}
	}
`;
}

function albumCollaboratorsMutation(name: string, field: string, withRole: boolean): string {
	return /* GraphQL */ `
	mutation ${name}($albumId: ID!, $userId: ID!${withRole ? ', $role: CollaboratorRole!' : ''}) {
		${field}(albumId: $albumId, userId: $userId${withRole ? ', role: $role' : ''}) {
			__typename
			... on Album {
				id
				${COLLABORATORS}
			}
			... on AlbumNotFoundError {
				message
			}
			${COLLABORATOR_ERRORS}
		}
	}
`;
}

export const COLLABORATOR_MUTATIONS = {
	track: {
		add: trackCollaboratorsMutation('PlayerAddTrackCollaborator', 'addTrackCollaborator', true),
		update: trackCollaboratorsMutation('PlayerUpdateTrackCollaborator', 'updateTrackCollaborator', true),
		remove: trackCollaboratorsMutation('PlayerRemoveTrackCollaborator', 'removeTrackCollaborator', false)
	},
	album: {
		add: albumCollaboratorsMutation('PlayerAddAlbumCollaborator', 'addAlbumCollaborator', true),
		update: albumCollaboratorsMutation('PlayerUpdateAlbumCollaborator', 'updateAlbumCollaborator', true),
		remove: albumCollaboratorsMutation('PlayerRemoveAlbumCollaborator', 'removeAlbumCollaborator', false)
	}
} as const;

type Refusal = { __typename: string; message: string; field?: string | null };

/** What the edit dialog and the collaborators panel ask of the server (tests pass a fake). */
export interface EditingApi {
	editableTrack(id: string): Promise<EditableTrack | null>;
	updateTrack(id: string, input: TrackInput): Promise<UpdateTrackResult>;
	updateAlbum(id: string, input: AlbumInput): Promise<UpdateAlbumResult>;
	collaborators(target: ShareTarget): Promise<Collaborator[] | null>;
	userByUsername(username: string): Promise<{ id: string; username: string } | null>;
	addCollaborator(target: ShareTarget, userId: string, role: CollaboratorRole): Promise<CollaboratorsResult>;
	updateCollaborator(target: ShareTarget, userId: string, role: CollaboratorRole): Promise<CollaboratorsResult>;
	removeCollaborator(target: ShareTarget, userId: string): Promise<CollaboratorsResult>;
}

export function editingApi(api: TonearmApi): EditingApi {
	async function collaboratorMutation(
		target: ShareTarget,
		action: 'add' | 'update' | 'remove',
		userId: string,
		role?: CollaboratorRole
	): Promise<CollaboratorsResult> {
		const field = `${action}${target.kind === 'track' ? 'Track' : 'Album'}Collaborator`;
		const variables = {
			[target.kind === 'track' ? 'trackId' : 'albumId']: target.id,
			userId,
			...(role ? { role } : {})
		};
		const data = await api.run<
			Record<string, ({ __typename: 'Track' | 'Album' } & { collaborators: Collaborator[] }) | Refusal>
		>(COLLABORATOR_MUTATIONS[target.kind][action], variables);
		const result = data[field];
		if (!result) return { kind: 'refused', reason: 'Unknown', message: 'The server sent no answer.' };
		if (result.__typename === 'Track' || result.__typename === 'Album') {
			return { kind: 'updated', collaborators: (result as { collaborators: Collaborator[] }).collaborators };
		}
		const refusal = result as Refusal;
		return { kind: 'refused', reason: refusal.__typename, message: refusal.message };
	}

	return {
		async editableTrack(id) {
			const data = await api.run<{ track: EditableTrack | null }>(EDITABLE_TRACK_QUERY, { id });
			return data.track;
		},

		async updateTrack(id, input) {
			const data = await api.run<{ updateTrack: ({ __typename: 'Track' } & Track & EditableTrack) | Refusal }>(
				UPDATE_TRACK_MUTATION,
				{ id, input }
			);
			const result = data.updateTrack;
			if (result.__typename === 'Track') {
				const track = result as Track & EditableTrack;
				return { kind: 'updated', track, editable: track };
			}
			const refusal = result as Refusal;
			if (refusal.__typename === 'InvalidTrackInputError') {
				return { kind: 'invalid', field: refusal.field ?? null, message: refusal.message };
			}
			return { kind: 'refused', message: refusal.message };
		},

		async updateAlbum(id, input) {
			const data = await api.run<{ updateAlbum: { __typename: 'Album'; id: string } | Refusal }>(
				UPDATE_ALBUM_MUTATION,
				{
					id,
					input
				}
			);
			const result = data.updateAlbum;
			if (result.__typename === 'Album') return { kind: 'updated', albumId: (result as { id: string }).id };
			const refusal = result as Refusal;
			if (refusal.__typename === 'InvalidTrackInputError') {
				return { kind: 'invalid', field: refusal.field ?? null, message: refusal.message };
			}
			return { kind: 'refused', message: refusal.message };
		},

		async collaborators(target) {
			const query = target.kind === 'track' ? TRACK_COLLABORATORS_QUERY : ALBUM_COLLABORATORS_QUERY;
			const data = await api.run<Record<string, { collaborators: Collaborator[] } | null>>(query, { id: target.id });
			return data[target.kind]?.collaborators ?? null;
		},

		async userByUsername(username) {
			const data = await api.run<{ userByUsername: { id: string; username: string } | null }>(USER_BY_USERNAME_QUERY, {
				username
			});
			return data.userByUsername;
		},

		addCollaborator: (target, userId, role) => collaboratorMutation(target, 'add', userId, role),
		updateCollaborator: (target, userId, role) => collaboratorMutation(target, 'update', userId, role),
		removeCollaborator: (target, userId) => collaboratorMutation(target, 'remove', userId)
	};
}
