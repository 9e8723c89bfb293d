package ember.backend.parity;

/** Fresh inputs each run, reproducible with -Dember.parity.seed=N (the seed is in every failure message). */
public final class ParitySeed {
    private ParitySeed() {}

    public static long fresh() {
        String fixed = System.getProperty("ember.parity.seed");
        long seed = fixed != null ? Long.parseLong(fixed) : System.nanoTime();
        System.out.println("parity seed " + seed + " (rerun with -Dember.parity.seed=" + seed + ")");
        return seed;
    }
}
