import { describe, expect, it } from 'vitest';
import { QUALITY_STORAGE_KEY, QualitySetting, type StorageLike } from './quality-setting.svelte';

function memoryStorage(initial: Record<string, string> = {}): StorageLike & { items: Record<string, string> } {
	const items = { ...initial };
	return {
		items,
		getItem: (key) => items[key] ?? null,
		setItem: (key, value) => {
			items[key] = value;
		}
	};
}

describe('QualitySetting', () => {
	it('is Auto on a device that never chose', () => {
		expect(new QualitySetting(memoryStorage()).value).toBe('auto');
		expect(new QualitySetting(null).value).toBe('auto');
	});

	it('remembers the choice on the device', () => {
		const storage = memoryStorage();
		new QualitySetting(storage).set('low');
		expect(storage.items[QUALITY_STORAGE_KEY]).toBe('low');
		expect(new QualitySetting(storage).value).toBe('low');
	});

	it('ignores a stored value it does not know', () => {
		expect(new QualitySetting(memoryStorage({ [QUALITY_STORAGE_KEY]: 'ultra' })).value).toBe('auto');
	});

	it('keeps the choice for the page when storage refuses it', () => {
		const refusing: StorageLike = {
			getItem: () => {
				throw new DOMException('denied', 'SecurityError');
			},
			setItem: () => {
				throw new DOMException('full', 'QuotaExceededError');
			}
		};
		const setting = new QualitySetting(refusing);
		expect(setting.value).toBe('auto');
		setting.set('high');
		expect(setting.value).toBe('high');
	});
});
