import { json } from '@sveltejs/kit';
import { firstScreenTemplate } from './template';
import type { RequestHandler } from './$types';

// Written once at build time (build/first-screen.template.json): placeholders, no user data.
export const prerender = true;

export const GET: RequestHandler = () => json(firstScreenTemplate());
