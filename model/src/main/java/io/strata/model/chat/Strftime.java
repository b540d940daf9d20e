package io.strata.model.chat;

import java.time.ZonedDateTime;
import java.time.format.TextStyle;
import java.util.Locale;

/**
 * Python's {@code time.strftime} in the C locale (what {@code strftime_now} does in transformers and llama.cpp),
 * for the directives chat templates use: {@code %a %A %b %B %c %d %e %D %F %H %I %j %m %M %p %R %S %T %u %w %x %X
 * %y %Y %z %Z %%}, plus glibc's {@code -} flag that drops padding ({@code %-d}). Other directives are copied through
 * unchanged, as glibc does.
 */
final class Strftime {
    private Strftime() {
    }

    static String format(final String pattern, final ZonedDateTime time) {
        final StringBuilder out = new StringBuilder(pattern.length() + 16);
        int i = 0;
        while (i < pattern.length()) {
            final char c = pattern.charAt(i);
            if (c != '%' || i + 1 >= pattern.length()) {
                out.append(c);
                i++;
                continue;
            }
            boolean unpadded = false;
            int j = i + 1;
            if (pattern.charAt(j) == '-' && j + 1 < pattern.length()) {
                unpadded = true;
                j++;
            }
            final String field = directive(pattern.charAt(j), time, unpadded);
            if (field != null) {
                out.append(field);
            } else {
                out.append(pattern, i, j + 1);
            }
            i = j + 1;
        }
        return out.toString();
    }

    /** One directive's text, or null when unknown. */
    private static String directive(final char d, final ZonedDateTime t, final boolean unpadded) {
        return switch (d) {
            case 'a' -> t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.US);
            case 'A' -> t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.US);
            case 'b', 'h' -> t.getMonth().getDisplayName(TextStyle.SHORT, Locale.US);
            case 'B' -> t.getMonth().getDisplayName(TextStyle.FULL, Locale.US);
            case 'c' -> format("%a %b %e %H:%M:%S %Y", t);
            case 'd' -> number(t.getDayOfMonth(), 2, unpadded);
            case 'e' -> unpadded ? Integer.toString(t.getDayOfMonth()) : String.format("%2d", t.getDayOfMonth());
            case 'D', 'x' -> format("%m/%d/%y", t);
            case 'F' -> format("%Y-%m-%d", t);
            case 'H' -> number(t.getHour(), 2, unpadded);
            case 'I' -> number(t.getHour() % 12 == 0 ? 12 : t.getHour() % 12, 2, unpadded);
            case 'j' -> number(t.getDayOfYear(), 3, unpadded);
            case 'm' -> number(t.getMonthValue(), 2, unpadded);
            case 'M' -> number(t.getMinute(), 2, unpadded);
            case 'p' -> t.getHour() < 12 ? "AM" : "PM";
            case 'R' -> format("%H:%M", t);
            case 'S' -> number(t.getSecond(), 2, unpadded);
            case 'T', 'X' -> format("%H:%M:%S", t);
            case 'u' -> Integer.toString(t.getDayOfWeek().getValue());
            case 'w' -> Integer.toString(t.getDayOfWeek().getValue() % 7);
            case 'y' -> number(t.getYear() % 100, 2, unpadded);
            case 'Y' -> Integer.toString(t.getYear());
            case 'z' -> offset(t.getOffset().getTotalSeconds());
            case 'Z' -> t.getZone().getDisplayName(TextStyle.SHORT, Locale.US);
            case '%' -> "%";
            default -> null;
        };
    }

    private static String number(final int value, final int width, final boolean unpadded) {
        final String digits = Integer.toString(value);
        return unpadded || digits.length() >= width ? digits : "0".repeat(width - digits.length()) + digits;
    }

    private static String offset(final int totalSeconds) {
        final int abs = Math.abs(totalSeconds);
        return (totalSeconds < 0 ? "-" : "+") + number(abs / 3600, 2, false) + number(abs / 60 % 60, 2, false);
    }
}
