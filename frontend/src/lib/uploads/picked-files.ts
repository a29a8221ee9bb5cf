/**
 * The files of a drop or a file input, folders walked: a dropped folder gives every file
 * under it with its path (`Album/CD1/01 Song.flac`). A drop's items are only readable during
 * the event, so `droppedFiles` takes their entries (or handles) synchronously first.
 */
import type { PickedFile } from './upload-queue.svelte';

/** Names a music folder carries that are never music (the server would refuse them anyway). */
const SKIPPED = /^(\.|desktop\.ini$|thumbs\.db$)/i;

/** The files of an `<input type="file">` (with `webkitdirectory`, each has its relative path). */
export function inputFiles(list: FileList | null): PickedFile[] {
	return Array.from(list ?? [])
		.filter((file) => !SKIPPED.test(file.name))
		.map((file) => ({ file, path: file.webkitRelativePath || file.name }));
}

/** Every file of a drop, folders included. */
export async function droppedFiles(transfer: DataTransfer): Promise<PickedFile[]> {
	const items = Array.from(transfer.items).filter((item) => item.kind === 'file');
	// Taken now, while the event lasts; read afterwards.
	const entries = items.map((item) => item.webkitGetAsEntry?.() ?? null);
	if (entries.every((entry) => entry !== null)) {
		const nested = await Promise.all(entries.map((entry) => fromEntry(entry as FileSystemEntry, '')));
		return nested.flat();
	}
	const handles = items.map((item) => (item as DataTransferItemWithHandle).getAsFileSystemHandle?.() ?? null);
	if (handles.every((handle) => handle !== null)) {
		const nested = await Promise.all(
			handles.map(async (pending) => {
				const handle = await pending;
				return handle ? fromHandle(handle, '') : [];
			})
		);
		return nested.flat();
	}
	return inputFiles(transfer.files);
}

async function fromEntry(entry: FileSystemEntry, prefix: string): Promise<PickedFile[]> {
	if (SKIPPED.test(entry.name)) return [];
	const path = prefix ? `${prefix}/${entry.name}` : entry.name;
	if (entry.isFile) {
		const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
		return [{ file, path }];
	}
	if (!entry.isDirectory) return [];
	const reader = (entry as FileSystemDirectoryEntry).createReader();
	const children: FileSystemEntry[] = [];
	// readEntries answers in chunks (100 in Chromium) until an empty one.
	for (;;) {
		const chunk = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
		if (chunk.length === 0) break;
		children.push(...chunk);
	}
	children.sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }));
	const nested = await Promise.all(children.map((child) => fromEntry(child, path)));
	return nested.flat();
}

/** `DataTransferItem.getAsFileSystemHandle` (File System Access API; not in every DOM typing). */
interface DataTransferItemWithHandle extends DataTransferItem {
	getAsFileSystemHandle?(): Promise<FileSystemHandle | null>;
}

async function fromHandle(handle: FileSystemHandle, prefix: string): Promise<PickedFile[]> {
	if (SKIPPED.test(handle.name)) return [];
	const path = prefix ? `${prefix}/${handle.name}` : handle.name;
	if (handle.kind === 'file') return [{ file: await (handle as FileSystemFileHandle).getFile(), path }];
	const found: PickedFile[] = [];
	for await (const child of (handle as FileSystemDirectoryHandle).values())
		found.push(...(await fromHandle(child, path)));
	return found.sort((a, b) => a.path.localeCompare(b.path, undefined, { numeric: true }));
}
