import type { ChannelDto } from '../protocol/types';

/** Channels under one category header (`category` null: those without one), in display order. */
export interface ChannelGroup {
  category: string | null;
  channels: ChannelDto[];
}

/** A channel's category as shown: trimmed, null when it has none. */
export const categoryOf = (c: Pick<ChannelDto, 'category'>): string | null => (c.category?.trim() ? c.category.trim() : null);

/** Channels by position, then name (as the channel list shows them). */
export function sortChannels(channels: readonly ChannelDto[]): ChannelDto[] {
  return [...channels].sort((a, b) => a.position - b.position || a.name.localeCompare(b.name));
}

/**
 * The channels grouped by category: channels without a category first, then each category in the order of its
 * first channel; within a group, by position.
 */
export function groupChannels(channels: readonly ChannelDto[]): ChannelGroup[] {
  const groups = new Map<string | null, ChannelDto[]>([[null, []]]);
  for (const c of sortChannels(channels)) {
    const key = categoryOf(c);
    const group = groups.get(key);
    if (group) group.push(c);
    else groups.set(key, [c]);
  }
  return [...groups].filter(([key, list]) => key !== null || list.length > 0).map(([category, list]) => ({ category, channels: list }));
}

/** Every channel's id in display order (groups one after another): the order sent to the server. */
export const displayOrder = (channels: readonly ChannelDto[]): string[] => groupChannels(channels).flatMap((g) => g.channels.map((c) => c.id));

/**
 * The order after moving channel `id` one place up (`delta` -1) or down (+1) within its category; null when it
 * cannot move that way (first or last of its group, or not listed).
 */
export function moveWithinGroup(channels: readonly ChannelDto[], id: string, delta: -1 | 1): string[] | null {
  for (const group of groupChannels(channels)) {
    const i = group.channels.findIndex((c) => c.id === id);
    if (i < 0) continue;
    const j = i + delta;
    if (j < 0 || j >= group.channels.length) return null;
    const order = displayOrder(channels);
    const a = order.indexOf(id);
    const b = order.indexOf(group.channels[j]!.id);
    [order[a], order[b]] = [order[b]!, order[a]!];
    return order;
  }
  return null;
}

/**
 * The order after dropping channel `draggedId` onto channel `targetId`: the dragged channel takes the target's
 * place (the target moves down when the dragged one came from above it, up otherwise). Null when nothing changes.
 * The caller gives the dragged channel the target's category first when they differ.
 */
export function moveOnto(order: readonly string[], draggedId: string, targetId: string): string[] | null {
  const from = order.indexOf(draggedId);
  const to = order.indexOf(targetId);
  if (from < 0 || to < 0 || from === to) return null;
  const next = [...order];
  next.splice(from, 1);
  next.splice(to, 0, draggedId);
  return next;
}

/** The channels with positions following `order` (0..n-1); channels missing from it keep theirs, after the rest. */
export function applyOrder(channels: readonly ChannelDto[], order: readonly string[]): ChannelDto[] {
  const index = new Map(order.map((id, i) => [id, i]));
  return channels.map((c) => ({ ...c, position: index.get(c.id) ?? order.length + c.position }));
}

/** "general moved to position 2 of 3 in Games": what a screen reader hears after a move. */
export function describeMove(channels: readonly ChannelDto[], id: string): string {
  for (const group of groupChannels(channels)) {
    const i = group.channels.findIndex((c) => c.id === id);
    if (i < 0) continue;
    const where = group.category === null ? '' : ` in ${group.category}`;
    return `${group.channels[i]!.name} moved to position ${i + 1} of ${group.channels.length}${where}.`;
  }
  return '';
}

/** The categories in use, in display order (for the category field's suggestions). */
export const categories = (channels: readonly ChannelDto[]): string[] =>
  groupChannels(channels).flatMap((g) => (g.category === null ? [] : [g.category]));
