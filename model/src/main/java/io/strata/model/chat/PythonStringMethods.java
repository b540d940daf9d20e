package io.strata.model.chat;

import com.hubspot.jinjava.objects.SafeString;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

/**
 * Python {@code str} methods for Jinjava, which otherwise only offers Java's {@code String} methods: templates write
 * {@code content.strip()}, {@code content.split('</think>')[-1]}, {@code role.startswith('tool')}, and Java has no
 * {@code startswith}, a regex {@code split}, and a {@code strip()} without the {@code chars} argument.
 *
 * <p>Handled: {@code strip lstrip rstrip} (optional chars), {@code startswith endswith} (string or list of
 * strings), {@code upper lower title capitalize}, {@code split} (no separator: runs of whitespace; optional
 * maxsplit), {@code replace} (optional count), {@code find}, {@code count}, {@code join}. Anything else falls through
 * to Jinjava's own resolver.
 */
final class PythonStringMethods extends ELResolver {

    @Override
    public Object invoke(final ELContext context, final Object base, final Object method, final Class<?>[] paramTypes,
                         final Object[] params) {
        if (!(base instanceof String || base instanceof SafeString) || !(method instanceof String name)) {
            return null;
        }
        final Object[] args = params == null ? new Object[0] : params;
        final Object result = call(base.toString(), name, args);
        if (result != NOT_HANDLED) {
            context.setPropertyResolved(true);
            return result;
        }
        return null;
    }

    private static final Object NOT_HANDLED = new Object();

    private static Object call(final String s, final String name, final Object[] args) {
        return switch (name) {
            case "strip" -> args.length <= 1 ? strip(s, charsArg(args), true, true) : NOT_HANDLED;
            case "lstrip" -> args.length <= 1 ? strip(s, charsArg(args), true, false) : NOT_HANDLED;
            case "rstrip" -> args.length <= 1 ? strip(s, charsArg(args), false, true) : NOT_HANDLED;
            case "startswith" -> args.length == 1 ? affix(s, args[0], true) : NOT_HANDLED;
            case "endswith" -> args.length == 1 ? affix(s, args[0], false) : NOT_HANDLED;
            case "upper" -> args.length == 0 ? s.toUpperCase(Locale.ROOT) : NOT_HANDLED;
            case "lower" -> args.length == 0 ? s.toLowerCase(Locale.ROOT) : NOT_HANDLED;
            case "title" -> args.length == 0 ? title(s) : NOT_HANDLED;
            case "capitalize" -> args.length == 0 ? capitalize(s) : NOT_HANDLED;
            case "split" -> args.length <= 2 ? split(s, args) : NOT_HANDLED;
            case "replace" -> args.length == 2 || args.length == 3 ? replace(s, args) : NOT_HANDLED;
            case "find" -> args.length == 1 ? (Object) (long) s.indexOf(String.valueOf(args[0])) : NOT_HANDLED;
            case "count" -> args.length == 1 ? (Object) count(s, String.valueOf(args[0])) : NOT_HANDLED;
            case "join" -> args.length == 1 && args[0] instanceof Iterable<?> items ? join(s, items) : NOT_HANDLED;
            default -> NOT_HANDLED;
        };
    }

    /** Python's chars argument: absent or None means whitespace. */
    private static String charsArg(final Object[] args) {
        return args.length == 0 || args[0] == null ? null : String.valueOf(args[0]);
    }

    static String strip(final String s, final String chars, final boolean left, final boolean right) {
        int begin = 0;
        int end = s.length();
        while (left && begin < end && stripped(s.charAt(begin), chars)) {
            begin++;
        }
        while (right && end > begin && stripped(s.charAt(end - 1), chars)) {
            end--;
        }
        return s.substring(begin, end);
    }

    private static boolean stripped(final char c, final String chars) {
        return chars == null ? Character.isWhitespace(c) || Character.isSpaceChar(c) : chars.indexOf(c) >= 0;
    }

    private static boolean affix(final String s, final Object candidates, final boolean prefix) {
        if (candidates instanceof Iterable<?> list) { // Python accepts a tuple of alternatives
            for (final Object candidate : list) {
                if (affix(s, candidate, prefix)) {
                    return true;
                }
            }
            return false;
        }
        final String affix = String.valueOf(candidates);
        return prefix ? s.startsWith(affix) : s.endsWith(affix);
    }

    private static String title(final String s) {
        final StringBuilder out = new StringBuilder(s.length());
        boolean previousCased = false;
        for (int i = 0; i < s.length(); i++) {
            final char c = s.charAt(i);
            out.append(previousCased ? Character.toLowerCase(c) : Character.toTitleCase(c));
            previousCased = Character.isLetter(c);
        }
        return out.toString();
    }

    private static String capitalize(final String s) {
        return s.isEmpty() ? s : Character.toTitleCase(s.charAt(0)) + s.substring(1).toLowerCase(Locale.ROOT);
    }

    /** Python split: literal separator keeping empty fields, or (no separator) runs of whitespace without them. */
    static List<String> split(final String s, final Object[] args) {
        final String separator = args.length == 0 || args[0] == null ? null : String.valueOf(args[0]);
        final long maxSplit = args.length < 2 ? -1 : ((Number) args[1]).longValue();
        final List<String> parts = new ArrayList<>();
        if (separator == null) {
            int i = 0;
            while (i < s.length()) {
                while (i < s.length() && stripped(s.charAt(i), null)) {
                    i++;
                }
                if (i == s.length()) {
                    break;
                }
                if (maxSplit >= 0 && parts.size() == maxSplit) {
                    parts.add(strip(s.substring(i), null, false, true));
                    break;
                }
                int end = i;
                while (end < s.length() && !stripped(s.charAt(end), null)) {
                    end++;
                }
                parts.add(s.substring(i, end));
                i = end;
            }
            return parts;
        }
        if (separator.isEmpty()) {
            throw new IllegalArgumentException("empty separator");
        }
        int start = 0;
        int at;
        while ((maxSplit < 0 || parts.size() < maxSplit) && (at = s.indexOf(separator, start)) >= 0) {
            parts.add(s.substring(start, at));
            start = at + separator.length();
        }
        parts.add(s.substring(start));
        return parts;
    }

    private static String replace(final String s, final Object[] args) {
        final String old = String.valueOf(args[0]);
        final String replacement = String.valueOf(args[1]);
        final long limit = args.length == 3 ? ((Number) args[2]).longValue() : -1;
        if (limit < 0 || old.isEmpty()) { // a count with an empty pattern is too rare to mirror
            return s.replace(old, replacement);
        }
        final StringBuilder out = new StringBuilder();
        int start = 0;
        int at;
        for (long done = 0; done < limit && (at = s.indexOf(old, start)) >= 0; done++) {
            out.append(s, start, at).append(replacement);
            start = at + old.length();
        }
        return out.append(s, start, s.length()).toString();
    }

    private static long count(final String s, final String sub) {
        if (sub.isEmpty()) {
            return s.length() + 1L;
        }
        long n = 0;
        for (int at = s.indexOf(sub); at >= 0; at = s.indexOf(sub, at + sub.length())) {
            n++;
        }
        return n;
    }

    private static String join(final String separator, final Iterable<?> items) {
        final StringBuilder out = new StringBuilder();
        boolean first = true;
        for (final Object item : items) {
            if (!first) {
                out.append(separator);
            }
            out.append(item);
            first = false;
        }
        return out.toString();
    }

    // Property access is left to Jinjava's resolvers.

    @Override
    public Object getValue(final ELContext context, final Object base, final Object property) {
        return null;
    }

    @Override
    public Class<?> getType(final ELContext context, final Object base, final Object property) {
        return null;
    }

    @Override
    public void setValue(final ELContext context, final Object base, final Object property, final Object value) {
        // not resolved here
    }

    @Override
    public boolean isReadOnly(final ELContext context, final Object base, final Object property) {
        return true;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(final ELContext context, final Object base) {
        return null;
    }

    @Override
    public Class<?> getCommonPropertyType(final ELContext context, final Object base) {
        return null;
    }
}
