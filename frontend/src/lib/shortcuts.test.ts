import { describe, expect, it } from 'vitest';
import { shortcutFor, type KeyInput } from './shortcuts';

const key = (k: string, over: Partial<KeyInput> = {}): KeyInput => ({
	key: k,
	shiftKey: false,
	ctrlKey: false,
	altKey: false,
	metaKey: false,
	target: { tagName: 'BODY' } as unknown as EventTarget,
	...over
});
const on = (tagName: string, extra: Record<string, unknown> = {}) => ({ tagName, ...extra }) as unknown as EventTarget;

describe('shortcutFor', () => {
	it('maps space, arrows and shift+arrows', () => {
		expect(shortcutFor(key(' '))).toBe('toggle');
		expect(shortcutFor(key('ArrowLeft'))).toBe('seek-back');
		expect(shortcutFor(key('ArrowRight'))).toBe('seek-forward');
		expect(shortcutFor(key('ArrowLeft', { shiftKey: true }))).toBe('previous');
		expect(shortcutFor(key('ArrowRight', { shiftKey: true }))).toBe('next');
	});

	it('ignores other keys and modifier combinations', () => {
		expect(shortcutFor(key('a'))).toBeNull();
		expect(shortcutFor(key('ArrowLeft', { ctrlKey: true }))).toBeNull();
		expect(shortcutFor(key(' ', { metaKey: true }))).toBeNull();
		expect(shortcutFor(key('ArrowRight', { altKey: true }))).toBeNull();
	});

	it('ignores keys while typing in inputs, text areas, selects and editable content', () => {
		expect(shortcutFor(key(' ', { target: on('INPUT', { type: 'search' }) }))).toBeNull();
		expect(shortcutFor(key('ArrowLeft', { target: on('INPUT', { type: 'range' }) }))).toBeNull();
		expect(shortcutFor(key(' ', { target: on('TEXTAREA') }))).toBeNull();
		expect(shortcutFor(key('ArrowRight', { target: on('SELECT') }))).toBeNull();
		expect(shortcutFor(key(' ', { target: on('DIV', { isContentEditable: true }) }))).toBeNull();
	});

	it('leaves space to a focused button but still seeks with arrows there', () => {
		expect(shortcutFor(key(' ', { target: on('BUTTON') }))).toBeNull();
		expect(shortcutFor(key('ArrowRight', { target: on('BUTTON') }))).toBe('seek-forward');
	});

	it('works without a target', () => {
		expect(shortcutFor(key(' ', { target: null }))).toBe('toggle');
	});
});
