package dev.sluice.hub;

import dev.sluice.topic.TopicSelector;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;

/**
 * Which subscribers of one event loop want which topics. Confined to that loop, so plain maps
 * and arrays suffice and lookups take no lock.
 *
 * <p>Exact selectors are a hash lookup per topic of the update. Template selectors are grouped by
 * template (a thousand subscribers on {@code /books/{id}} are one group); whether a group matches
 * a topic is remembered in a small per-group map, so the regular expression runs once per
 * (template, topic) on this loop. {@code *} subscribers are one list. No update scans every
 * subscriber: the work is proportional to the groups consulted and the subscribers that match.
 *
 * <p>Removal is O(1) (swap with the last member); every membership knows its position.
 */
final class TopicIndex {

    /** Per-template match memory is cleared when it grows past this many topics. */
    private static final int TEMPLATE_MEMORY = 4096;

    static final class Membership {
        final Subscriber subscriber;
        final Members list;
        int position;

        Membership(Subscriber subscriber, Members list) {
            this.subscriber = subscriber;
            this.list = list;
        }
    }

    static final class Members {
        final TopicSelector selector;
        Membership[] items = new Membership[4];
        int size;
        final HashMap<String, Boolean> matchMemory;

        Members(TopicSelector selector) {
            this.selector = selector;
            this.matchMemory = selector.isComputed() ? new HashMap<>() : null;
        }

        Membership add(Subscriber s) {
            if (size == items.length) {
                items = java.util.Arrays.copyOf(items, size * 2);
            }
            Membership m = new Membership(s, this);
            m.position = size;
            items[size++] = m;
            return m;
        }

        void remove(Membership m) {
            int last = --size;
            Membership moved = items[last];
            items[m.position] = moved;
            moved.position = m.position;
            items[last] = null;
        }

        boolean matches(String topic) {
            Boolean known = matchMemory.get(topic);
            if (known == null) {
                if (matchMemory.size() >= TEMPLATE_MEMORY) {
                    matchMemory.clear();
                }
                known = selector.matches(topic);
                matchMemory.put(topic, known);
            }
            return known;
        }
    }

    /** Called for every subscriber an event's topics match (possibly more than once each). */
    interface Visitor {
        void visit(Subscriber s, Event e);
    }

    private final HashMap<String, Members> exact = new HashMap<>();
    private final HashMap<TopicSelector, Members> templates = new HashMap<>();
    private final ArrayList<Members> templateList = new ArrayList<>();
    private final Members any = new Members(TopicSelector.ANY);

    void add(Subscriber s) {
        Membership[] ms = new Membership[s.selectors.length];
        for (int i = 0; i < ms.length; i++) {
            ms[i] = membersFor(s.selectors[i]).add(s);
        }
        s.memberships = ms;
    }

    void remove(Subscriber s) {
        Membership[] ms = s.memberships;
        if (ms == null) {
            return;
        }
        s.memberships = null;
        for (Membership m : ms) {
            Members list = m.list;
            list.remove(m);
            if (list.size == 0 && list != any) {
                if (list.selector.isComputed()) {
                    templates.remove(list.selector);
                    templateList.remove(list);
                } else {
                    exact.remove(list.selector.source());
                }
            }
        }
    }

    private Members membersFor(TopicSelector selector) {
        return switch (selector.kind()) {
            case ANY -> any;
            case EXACT -> exact.computeIfAbsent(selector.source(), k -> new Members(selector));
            case TEMPLATE, URL_PATTERN -> templates.computeIfAbsent(selector, k -> {
                Members m = new Members(selector);
                templateList.add(m);
                return m;
            });
        };
    }

    /**
     * Visits the subscribers whose selectors match one of the event's topics. A subscriber may
     * be visited more than once (two matching selectors or topics); the visitor de-duplicates by
     * sequence number. Visitors must not change this index while it iterates.
     */
    void forEachMatch(Event e, Visitor visitor) {
        List<String> topics = e.topics;
        for (int t = 0, nt = topics.size(); t < nt; t++) {
            String topic = topics.get(t);
            Members m = exact.get(topic);
            if (m != null) {
                visitAll(m, e, visitor);
            }
            for (int g = 0, ng = templateList.size(); g < ng; g++) {
                Members group = templateList.get(g);
                if (group.matches(topic)) {
                    visitAll(group, e, visitor);
                }
            }
        }
        visitAll(any, e, visitor);
    }

    private static void visitAll(Members m, Event e, Visitor visitor) {
        Membership[] items = m.items;
        for (int i = 0, n = m.size; i < n; i++) {
            visitor.visit(items[i].subscriber, e);
        }
    }
}
