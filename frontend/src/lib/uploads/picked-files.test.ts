import { describe, expect, it } from 'vitest';
import { droppedFiles, inputFiles } from './picked-files';

const file = (name: string) => new File(['x'], name);

function fileEntry(name: string) {
	return { name, isFile: true, isDirectory: false, file: (ok: (f: File) => void) => ok(file(name)) };
}

/** A folder whose reader answers in chunks of two, then an empty chunk (as Chromium does with 100). */
function folderEntry(name: string, children: object[]) {
	return {
		name,
		isFile: false,
		isDirectory: true,
		createReader() {
			let at = 0;
			return {
				readEntries(ok: (entries: object[]) => void) {
					const chunk = children.slice(at, at + 2);
					at += 2;
					ok(chunk);
				}
			};
		}
	};
}

function transfer(entries: object[], files: File[] = []): DataTransfer {
	return {
		items: entries.map((entry) => ({ kind: 'file', webkitGetAsEntry: () => entry })),
		files
	} as unknown as DataTransfer;
}

describe('picked files', () => {
	it('walks dropped folders, in name order, with their paths, skipping hidden files', async () => {
		const album = folderEntry('Album', [
			fileEntry('10 Ten.flac'),
			fileEntry('2 Two.flac'),
			fileEntry('.DS_Store'),
			folderEntry('CD2', [fileEntry('1 One.flac')]),
			fileEntry('Thumbs.db')
		]);
		const found = await droppedFiles(transfer([album, fileEntry('single.mp3')]));
		expect(found.map((p) => p.path)).toEqual([
			'Album/2 Two.flac',
			'Album/10 Ten.flac',
			'Album/CD2/1 One.flac',
			'single.mp3'
		]);
		expect(found[0]?.file.name).toBe('2 Two.flac');
	});

	it('falls back to the plain file list without entries', async () => {
		const plain = {
			items: [{ kind: 'file' }],
			files: [file('a.mp3')]
		} as unknown as DataTransfer;
		expect((await droppedFiles(plain)).map((p) => p.path)).toEqual(['a.mp3']);
	});

	it('keeps a folder input’s relative paths', () => {
		const picked = Object.assign(file('01.flac'), { webkitRelativePath: 'Album/01.flac' });
		const list = [picked, file('.hidden')] as unknown as FileList;
		expect(inputFiles(list).map((p) => p.path)).toEqual(['Album/01.flac']);
		expect(inputFiles(null)).toEqual([]);
	});
});
