/** Keyboard shortcuts of the player, as a pure mapping from a key event; see shortcuts.test.ts. */

export type Shortcut = 'toggle' | 'seek-back' | 'seek-forward' | 'previous' | 'next';

export const SEEK_STEP_SECONDS = 5;

export interface KeyInput {
	key: string;
	shiftKey: boolean;
	ctrlKey: boolean;
	altKey: boolean;
	metaKey: boolean;
	target: EventTarget | null;
}

/** Elements whose own keyboard behaviour wins: typing, sliders, selects, buttons (space). */
interface TargetLike {
	tagName?: string;
	type?: string;
	isContentEditable?: boolean;
}

function isTyping(target: TargetLike | null): boolean {
	if (!target?.tagName) return false;
	if (target.isContentEditable) return true;
	const tag = target.tagName.toUpperCase();
	return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT';
}

function isActivatable(target: TargetLike | null): boolean {
	const tag = target?.tagName?.toUpperCase();
	return tag === 'BUTTON' || tag === 'A' || tag === 'SUMMARY';
}

export function shortcutFor(event: KeyInput): Shortcut | null {
	if (event.ctrlKey || event.altKey || event.metaKey) return null;
	const target = event.target as TargetLike | null;
	if (isTyping(target)) return null;
	switch (event.key) {
		case ' ':
		case 'Spacebar':
			// A focused button already reacts to space (and a track row toggles its own track).
			return isActivatable(target) ? null : 'toggle';
		case 'ArrowLeft':
			return event.shiftKey ? 'previous' : 'seek-back';
		case 'ArrowRight':
			return event.shiftKey ? 'next' : 'seek-forward';
		default:
			return null;
	}
}
