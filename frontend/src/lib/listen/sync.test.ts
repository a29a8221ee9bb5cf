import { describe, expect, it } from 'vitest';
import {
	decide,
	DRIFT_THRESHOLD_MS,
	driftMs,
	expectedPosition,
	learnSeekLead,
	MAX_SEEK_LEAD_MS,
	percentile,
	startDelayMs,
	syncStateOf,
	type AudioReading,
	type PlaybackTiming
} from './sync';

const T = 1_800_000_000_000;
const playing = (positionSeconds: number, updatedAt = T): PlaybackTiming => ({
	status: 'PLAYING',
	positionSeconds,
	updatedAt
});
const audio = (currentTime: number, extra: Partial<AudioReading> = {}): AudioReading => ({
	currentTime,
	paused: false,
	seeking: false,
	durationSeconds: 240,
	...extra
});

describe('expectedPosition', () => {
	it('moves at rate 1 from updatedAt while playing', () => {
		expect(expectedPosition(playing(10), T + 2500)).toBe(12.5);
	});

	it('holds still while paused or waiting', () => {
		expect(expectedPosition({ status: 'PAUSED', positionSeconds: 42, updatedAt: T }, T + 9999)).toBe(42);
		expect(expectedPosition({ status: 'WAITING', positionSeconds: 7, updatedAt: T }, T + 9999)).toBe(7);
	});

	it('is behind positionSeconds before a scheduled start', () => {
		expect(expectedPosition(playing(30, T + 400), T)).toBeCloseTo(29.6, 9);
		expect(startDelayMs(playing(30, T + 400), T)).toBe(400);
		expect(startDelayMs(playing(30, T - 400), T)).toBe(0);
	});

	it('gives the drift in ms, ahead positive', () => {
		expect(driftMs(playing(10), T + 1000, 11.08)).toBeCloseTo(80, 6);
		expect(driftMs(playing(10), T + 1000, 10.9)).toBeCloseTo(-100, 6);
	});
});

describe('decide', () => {
	it('holds a paused session at its position, seeking only when elsewhere', () => {
		const paused: PlaybackTiming = { status: 'PAUSED', positionSeconds: 50, updatedAt: T };
		expect(decide(paused, T, audio(50.005))).toEqual({ kind: 'hold', position: 50, seek: false });
		expect(decide(paused, T, audio(12))).toEqual({ kind: 'hold', position: 50, seek: true });
	});

	it('waits, paused at the position, for a scheduled start', () => {
		expect(decide(playing(60, T + 300), T, audio(60, { paused: true }))).toEqual({
			kind: 'start-at',
			position: 60,
			inMs: 300,
			seek: false
		});
		expect(decide(playing(60, T + 300), T, audio(3)).kind).toBe('start-at');
	});

	it('starts a start that is due, from where it should be', () => {
		expect(decide(playing(60, T + 10), T, audio(60, { paused: true }))).toEqual({ kind: 'play', seekTo: null });
		const late = decide(playing(60), T + 5000, audio(60, { paused: true }), { seekLeadMs: 20 });
		expect(late.kind).toBe('play');
		expect(late.kind === 'play' && late.seekTo).toBeCloseTo(65.02, 9);
	});

	it('leaves a member within the threshold alone', () => {
		const near = decide(playing(10), T + 1000, audio(11 + (DRIFT_THRESHOLD_MS - 5) / 1000));
		expect(near.kind).toBe('in-sync');
		expect(near.kind === 'in-sync' && near.driftMs).toBeCloseTo(DRIFT_THRESHOLD_MS - 5, 6);
	});

	it('seeks a member off by more than the threshold, with the seek lead', () => {
		const behind = decide(playing(10), T + 1000, audio(10.5), { seekLeadMs: 40 });
		expect(behind).toMatchObject({ kind: 'seek' });
		expect(behind.kind === 'seek' && behind.seekTo).toBeCloseTo(11.04, 9);
		expect(behind.kind === 'seek' && behind.driftMs).toBeCloseTo(-500, 6);
		const ahead = decide(playing(10), T + 1000, audio(11.2));
		expect(ahead.kind).toBe('seek');
	});

	it('never seeks while a seek is under way', () => {
		expect(decide(playing(10), T + 1000, audio(3, { seeking: true }))).toEqual({ kind: 'seeking' });
	});

	it('stops at the end of the track (the server moves on)', () => {
		expect(decide(playing(239), T + 2000, audio(239.9))).toEqual({ kind: 'ended' });
	});

	it('honours another threshold', () => {
		expect(decide(playing(10), T + 1000, audio(11.15), { thresholdMs: 200 }).kind).toBe('in-sync');
	});
});

describe('learnSeekLead', () => {
	it('moves half the error, within bounds', () => {
		expect(learnSeekLead(30, 20)).toBe(20); // landed 20 ms ahead: less lead
		expect(learnSeekLead(30, -40)).toBe(50); // landed behind: more
		expect(learnSeekLead(10, 100)).toBe(0);
		expect(learnSeekLead(MAX_SEEK_LEAD_MS, -400)).toBe(MAX_SEEK_LEAD_MS);
	});
});

describe('syncStateOf', () => {
	it('is in sync when within the threshold or holding still where it should', () => {
		expect(syncStateOf({ kind: 'in-sync', driftMs: 3 })).toBe('IN_SYNC');
		expect(syncStateOf({ kind: 'hold', position: 1, seek: false })).toBe('IN_SYNC');
		expect(syncStateOf({ kind: 'hold', position: 1, seek: true })).toBe('CATCHING_UP');
		expect(syncStateOf({ kind: 'seek', seekTo: 1, driftMs: 400 })).toBe('CATCHING_UP');
		expect(syncStateOf({ kind: 'seeking' })).toBe('CATCHING_UP');
	});
});

describe('percentile', () => {
	it('reads the nearest rank', () => {
		const values = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
		expect(percentile(values, 50)).toBe(5);
		expect(percentile(values, 95)).toBe(10);
		expect(percentile(values, 100)).toBe(10);
		expect(percentile([], 50)).toBeNaN();
	});
});
