import { DEFAULT_QUALITY, isQuality, type Quality } from './quality';

/** The part of `localStorage` the setting uses. */
export interface StorageLike {
	getItem(key: string): string | null;
	setItem(key: string, value: string): void;
}

export const QUALITY_STORAGE_KEY = 'tonearm.quality';

/** `localStorage`, or null where there is none or it refuses access (private modes, policies). */
function browserStorage(): StorageLike | null {
	try {
		return typeof localStorage === 'undefined' ? null : localStorage;
	} catch {
		return null;
	}
}

/**
 * The streaming quality chosen on this device, kept in `localStorage`: a phone and a desktop
 * of the same account want different things, so it is not an account setting.
 */
export class QualitySetting {
	value = $state<Quality>(DEFAULT_QUALITY);
	readonly #storage: StorageLike | null;

	constructor(storage: StorageLike | null = browserStorage()) {
		this.#storage = storage;
		const saved = this.#read();
		if (isQuality(saved)) this.value = saved;
	}

	set(quality: Quality): void {
		this.value = quality;
		try {
			this.#storage?.setItem(QUALITY_STORAGE_KEY, quality);
		} catch {
			// Storage full or refused: the choice holds until the page is closed.
		}
	}

	#read(): string | null {
		try {
			return this.#storage?.getItem(QUALITY_STORAGE_KEY) ?? null;
		} catch {
			return null;
		}
	}
}
