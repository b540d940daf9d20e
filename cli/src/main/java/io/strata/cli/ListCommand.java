package io.strata.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.strata.model.store.ModelStore;
import io.strata.model.store.StoredModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code strata list [--json]}: the models in the local store, as {@code ollama list} shows them. */
@Command(name = "list", aliases = "ls", description = "List the models in the local store (STRATA_HOME).")
final class ListCommand implements Callable<Integer> {
    private static final DateTimeFormatter WHEN = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm").withZone(ZoneId.systemDefault());

    @Option(names = "--json", description = "Print one JSON object, shaped like Ollama's /api/tags.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        ModelStore.Listing listing = ModelStore.fromEnvironment().list();
        listing.problems().forEach(p -> System.err.println("strata: skipped " + p));
        if (json) {
            List<Map<String, Object>> models = new ArrayList<>();
            for (StoredModel m : listing.models()) {
                Map<String, Object> o = new LinkedHashMap<>();
                o.put("name", m.name().displayShortest());
                o.put("model", m.name().displayShortest());
                o.put("modified_at", m.modified().toString());
                o.put("size", m.size());
                o.put("digest", m.manifestDigest().hex());
                models.add(o);
            }
            System.out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                    .writeValueAsString(Map.of("models", models)));
            return 0;
        }
        int width = Math.max(4, listing.models().stream().mapToInt(m -> m.name().displayShortest().length()).max().orElse(0));
        String row = "%-" + width + "s  %-12s  %9s  %s%n";
        System.out.printf(row, "NAME", "ID", "SIZE", "MODIFIED");
        for (StoredModel m : listing.models()) {
            System.out.printf(row, m.name().displayShortest(), m.manifestDigest().shortHex(), humanBytes(m.size()),
                    WHEN.format(m.modified()));
        }
        return 0;
    }

    /** Decimal units, as Ollama prints sizes: 1.2 MB. */
    static String humanBytes(long n) {
        String[] units = {"B", "KB", "MB", "GB", "TB"};
        double v = n;
        int u = 0;
        while (v >= 1000 && u < units.length - 1) {
            v /= 1000;
            u++;
        }
        return u == 0 ? n + " B" : String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
