import { describe, expect, it } from 'vitest';
import { firstScreenTemplate } from './template';

describe('firstScreenTemplate', () => {
	const template = firstScreenTemplate();

	it('has a row for every shape, each with its slots and nothing of the placeholder track left', () => {
		expect(Object.keys(template.rows).sort()).toHaveLength(8);
		for (const [shape, row] of Object.entries(template.rows)) {
			expect(row.startsWith('<li')).toBe(true);
			expect(row.endsWith('</li>')).toBe(true);
			for (const slot of ['number', 'title', 'artist', 'time', 'menu']) expect(row).toContain(`TONEARM_SLOT_${slot}_`);
			expect(row.includes('TONEARM_SLOT_albumid_')).toBe(shape.includes('/album/'));
			expect(row.includes('class="edit')).toBe(shape.startsWith('edit/'));
			expect(row.includes('aria-pressed="true"')).toBe(shape.endsWith('/liked'));
			expect(row).not.toMatch(/class="row[^"]* current/); // nothing is playing yet
			expect(row).not.toContain('9:59:59');
			expect(row).not.toMatch(/ style=/);
		}
	});

	it('has a frame per kind of viewer, cut at the track list, naming the viewer', () => {
		expect(Object.keys(template.frames)).toHaveLength(8);
		for (const [key, frame] of Object.entries(template.frames)) {
			expect(frame.before).toMatch(/<ol [^>]*aria-label="Tracks"[^>]*>$/);
			expect(frame.after.startsWith('</ol>')).toBe(true);
			expect(frame.before.includes('TONEARM_SLOT_username_')).toBe(key.startsWith('REQUIRED/'));
			expect(frame.before.includes('>Users</a>')).toBe(key.includes('/ADMIN/'));
			expect(frame.before.includes('>Upload</a>')).toBe(key.endsWith('/upload'));
			expect(frame.before).toContain('aria-current="page"');
			expect(frame.before + frame.after).not.toMatch(/ style=/); // the CSP would refuse it
		}
	});
});
