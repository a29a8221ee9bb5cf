import { describe, expect, it } from 'vitest';
import { graphqlFetch } from '$lib/testing';
import { GraphQLClient } from './graphql';
import { publicShares } from './shares';

const sharesWith = (respond: Parameters<typeof graphqlFetch>[0]) => {
	const server = graphqlFetch(respond);
	return { shares: publicShares(new GraphQLClient({ fetch: server.fetch })), requests: server.requests };
};

const track = (n: number) => ({
	id: `T${n}`,
	title: `Track ${n}`,
	artist: 'A',
	album: 'Alpha',
	durationSeconds: 60,
	coverUrl: null
});

describe('publicShares', () => {
	it('flattens a shared album into the page the share shows', async () => {
		const item = {
			__typename: 'SharedItem',
			description: 'For you',
			expiresAt: '2026-12-08T00:00:00Z',
			allowDownload: false,
			target: {
				__typename: 'SharedAlbum',
				title: 'Alpha',
				artistCredit: 'A',
				year: 2001,
				coverUrl: '/api/art/x/600?share=t',
				tracks: [track(1), track(2)]
			}
		};
		const { shares, requests } = sharesWith(() => ({ data: { sharedItem: item } }));

		const result = await shares.open('k'.repeat(32), 'secret');

		expect(result).toEqual({
			kind: 'item',
			page: {
				kind: 'album',
				title: 'Alpha',
				subtitle: 'A · 2001',
				coverUrl: '/api/art/x/600?share=t',
				description: 'For you',
				expiresAt: '2026-12-08T00:00:00Z',
				allowDownload: false,
				tracks: [track(1), track(2)]
			}
		});
		expect(requests[0]?.variables).toEqual({ key: 'k'.repeat(32), password: 'secret' });
	});

	it('tells the password form, not found and the stream answers apart', async () => {
		const answers = [
			{
				data: {
					sharedItem: {
						__typename: 'SharePasswordRequired',
						message: 'Wrong password.',
						wrongPassword: true,
						retryAfterSeconds: null
					}
				}
			},
			{ data: { sharedItem: { __typename: 'ShareNotFound' } } },
			{
				data: {
					createShareStreamUrl: { __typename: 'StreamUrl', url: '/api/tracks/1/stream?token=t', mimeType: 'audio/mpeg' }
				}
			},
			{ data: { createShareStreamUrl: { __typename: 'SharePlaysExhausted', message: 'Used up.' } } },
			{ data: { createShareStreamUrl: { __typename: 'ShareNotFound' } } }
		];
		const { shares } = sharesWith(() => answers.shift());

		await expect(shares.open('k')).resolves.toEqual({
			kind: 'password',
			message: 'Wrong password.',
			wrongPassword: true,
			retryAfterSeconds: null
		});
		await expect(shares.open('k')).resolves.toEqual({ kind: 'not-found' });
		await expect(shares.streamUrl('k', 'T1')).resolves.toEqual({
			kind: 'url',
			url: '/api/tracks/1/stream?token=t',
			mimeType: 'audio/mpeg'
		});
		await expect(shares.streamUrl('k', 'T1')).resolves.toEqual({ kind: 'exhausted', message: 'Used up.' });
		await expect(shares.streamUrl('k', 'T1')).resolves.toEqual({ kind: 'not-found' });
	});
});
