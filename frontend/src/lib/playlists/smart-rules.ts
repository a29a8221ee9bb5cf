/**
 * The smart playlist rule language as the editor offers it: which fields there are, their
 * kind (text, number, date, yes/no), the operators of each kind and the value each
 * operator takes, and turning a row the user filled in into a `SmartRuleInput` (or saying
 * what is missing before the server has to).
 */
import type { SmartMatch, SmartOrder, SmartRule, SmartRules } from '$lib/api/playlists';

export type FieldKind = 'text' | 'number' | 'date' | 'boolean';

export const SMART_FIELDS: readonly { field: string; label: string; kind: FieldKind }[] = [
	{ field: 'title', label: 'Title', kind: 'text' },
	{ field: 'artist', label: 'Artist', kind: 'text' },
	{ field: 'album', label: 'Album', kind: 'text' },
	{ field: 'albumArtist', label: 'Album artist', kind: 'text' },
	{ field: 'genre', label: 'Genre', kind: 'text' },
	{ field: 'composer', label: 'Composer', kind: 'text' },
	{ field: 'format', label: 'Format', kind: 'text' },
	{ field: 'year', label: 'Year', kind: 'number' },
	{ field: 'durationSeconds', label: 'Length (seconds)', kind: 'number' },
	{ field: 'bitrate', label: 'Bitrate (kbps)', kind: 'number' },
	{ field: 'playCount', label: 'Play count', kind: 'number' },
	{ field: 'popularity', label: 'Popularity', kind: 'number' },
	{ field: 'addedAt', label: 'Date added', kind: 'date' },
	{ field: 'lastPlayedAt', label: 'Last played', kind: 'date' },
	{ field: 'liked', label: 'Liked', kind: 'boolean' }
];

/** What an operator's value is: text, a number, two numbers, a number of days, a date, nothing. */
export type ValueShape = 'text' | 'number' | 'range' | 'days' | 'date' | 'none';

export const OPERATORS: Record<FieldKind, readonly { operator: string; label: string; value: ValueShape }[]> = {
	text: [
		{ operator: 'is', label: 'is', value: 'text' },
		{ operator: 'isNot', label: 'is not', value: 'text' },
		{ operator: 'contains', label: 'contains', value: 'text' },
		{ operator: 'notContains', label: 'does not contain', value: 'text' },
		{ operator: 'startsWith', label: 'starts with', value: 'text' }
	],
	number: [
		{ operator: 'eq', label: 'is', value: 'number' },
		{ operator: 'gt', label: 'is more than', value: 'number' },
		{ operator: 'lt', label: 'is less than', value: 'number' },
		{ operator: 'between', label: 'is between', value: 'range' }
	],
	date: [
		{ operator: 'inTheLast', label: 'in the last (days)', value: 'days' },
		{ operator: 'notInTheLast', label: 'not in the last (days)', value: 'days' },
		{ operator: 'before', label: 'is before', value: 'date' },
		{ operator: 'after', label: 'is after', value: 'date' }
	],
	boolean: [
		{ operator: 'isTrue', label: 'yes', value: 'none' },
		{ operator: 'isFalse', label: 'no', value: 'none' }
	]
};

export const SMART_ORDERS: readonly { value: SmartOrder; label: string }[] = [
	{ value: 'ARTIST', label: 'Artist' },
	{ value: 'TITLE', label: 'Title' },
	{ value: 'RECENTLY_ADDED', label: 'Recently added' },
	{ value: 'YEAR', label: 'Year' },
	{ value: 'MOST_PLAYED', label: 'Most played' },
	{ value: 'RECENTLY_PLAYED', label: 'Recently played' },
	{ value: 'POPULAR', label: 'Popular' }
];

/** One row of the editor: what the inputs hold (always strings, as inputs do). */
export interface RuleRow {
	field: string;
	operator: string;
	/** The value; for `between` the lower bound. */
	value: string;
	/** The upper bound of `between`. */
	value2: string;
}

export function kindOf(field: string): FieldKind {
	return SMART_FIELDS.find((f) => f.field === field)?.kind ?? 'text';
}

export function operatorsOf(field: string) {
	return OPERATORS[kindOf(field)];
}

export function shapeOf(field: string, operator: string): ValueShape {
	return operatorsOf(field).find((o) => o.operator === operator)?.value ?? 'text';
}

/** A new row: the field's first operator, empty value. */
export function newRow(field = 'genre'): RuleRow {
	return { field, operator: operatorsOf(field)[0]?.operator ?? 'is', value: '', value2: '' };
}

/** The row after choosing another field: its operator kept when the new field has it. */
export function withField(row: RuleRow, field: string): RuleRow {
	const keep = operatorsOf(field).some((o) => o.operator === row.operator);
	return keep ? { ...row, field } : { ...newRow(field), value: kindOf(field) === kindOf(row.field) ? row.value : '' };
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The row as a rule, or what is wrong with it. */
export function toRule(row: RuleRow): { rule: SmartRule } | { problem: string } {
	const shape = shapeOf(row.field, row.operator);
	const { field, operator } = row;
	const number = (text: string) => (text.trim() === '' ? Number.NaN : Number(text));
	switch (shape) {
		case 'none':
			return { rule: { field, operator, value: null } };
		case 'text':
			return row.value === '' ? { problem: 'Type a value.' } : { rule: { field, operator, value: row.value } };
		case 'number': {
			const n = number(row.value);
			return Number.isFinite(n) ? { rule: { field, operator, value: n } } : { problem: 'Type a number.' };
		}
		case 'days': {
			const n = number(row.value);
			return Number.isInteger(n) && n > 0
				? { rule: { field, operator, value: n } }
				: { problem: 'Type a whole number of days.' };
		}
		case 'range': {
			const a = number(row.value);
			const b = number(row.value2);
			if (!Number.isFinite(a) || !Number.isFinite(b)) return { problem: 'Type both numbers.' };
			if (a > b) return { problem: 'The first number must not be above the second.' };
			return { rule: { field, operator, value: [a, b] } };
		}
		case 'date':
			return ISO_DATE.test(row.value) ? { rule: { field, operator, value: row.value } } : { problem: 'Pick a date.' };
	}
}

/** A stored rule as an editor row (a rule this editor does not know keeps its text). */
export function toRow(rule: SmartRule): RuleRow {
	const value = rule.value;
	if (Array.isArray(value))
		return {
			field: rule.field,
			operator: rule.operator,
			value: String(value[0] ?? ''),
			value2: String(value[1] ?? '')
		};
	return { field: rule.field, operator: rule.operator, value: value == null ? '' : String(value), value2: '' };
}

export interface RulesDraft {
	match: SmartMatch;
	rows: RuleRow[];
	orderBy: SmartOrder;
	/** Text of the inputs: empty means none. */
	orderPeriodDays: string;
	limit: string;
}

/** The draft as `SmartRulesInput`, or the problems by row (and of the limit). */
export function toRules(
	draft: RulesDraft
): { rules: SmartRules } | { problems: (string | null)[]; limitProblem: string | null } {
	const results = draft.rows.map(toRule);
	const problems = results.map((r) => ('problem' in r ? r.problem : null));
	const limit = draft.limit.trim() === '' ? null : Number(draft.limit);
	const period = draft.orderPeriodDays.trim() === '' ? null : Number(draft.orderPeriodDays);
	const limitProblem =
		limit !== null && !(Number.isInteger(limit) && limit > 0)
			? 'The limit is a whole number above 0.'
			: period !== null && !(Number.isInteger(period) && period > 0)
				? 'The period is a whole number of days above 0.'
				: null;
	if (problems.some((p) => p !== null) || limitProblem) return { problems, limitProblem };
	return {
		rules: {
			match: draft.match,
			rules: results.map((r) => (r as { rule: SmartRule }).rule),
			orderBy: draft.orderBy,
			orderPeriodDays: period,
			limit
		}
	};
}
