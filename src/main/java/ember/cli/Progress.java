package ember.cli;

import java.util.function.IntConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A progress bar that appears only once a task has run for a second, so quick runs print
 * nothing but their summary.
 */
public final class Progress implements IntConsumer, AutoCloseable {
    private static final long SHOW_AFTER_NANOS = 1_000_000_000L;

    private final String task;
    private final long total;
    private final long start = System.nanoTime();
    private ProgressBar bar;

    public Progress(String task, long total) {
        this.task = task;
        this.total = total;
    }

    /** Reports that {@code done} units of the total are complete. */
    @Override
    public void accept(int done) {
        if (bar == null && System.nanoTime() - start > SHOW_AFTER_NANOS) {
            bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(total)
                    .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(250).build();
        }
        if (bar != null) {
            bar.stepTo(done);
        }
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
        }
    }
}
