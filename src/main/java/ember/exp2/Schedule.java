package ember.exp2;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A step learning-rate schedule: phases of (learning rate, epochs), written "0.1x5,0.01x5".
 * Epochs are numbered from 1, as in the reference's output.
 */
public record Schedule(List<Phase> phases) {

    public record Phase(float lr, int epochs) {}

    public Schedule {
        phases = List.copyOf(phases);
        if (phases.isEmpty()) {
            throw new IllegalArgumentException("--schedule needs at least one phase, e.g. 0.1x5,0.01x5");
        }
    }

    /** The lab's schedule for {@code epochs} epochs: 0.1 for the first half, 0.01 for the rest (as the reference). */
    public static Schedule lab(int epochs) {
        if (epochs < 1) {
            throw new IllegalArgumentException("--epochs must be at least 1, got " + epochs);
        }
        int half = Math.max(1, epochs / 2);
        List<Phase> phases = new ArrayList<>(List.of(new Phase(0.1f, half)));
        if (epochs > half) {
            phases.add(new Phase(0.01f, epochs - half));
        }
        return new Schedule(phases);
    }

    /** Parses "LRxEPOCHS[,LRxEPOCHS...]"; a malformed phase is named in the message. */
    public static Schedule parse(String text) {
        List<Phase> phases = new ArrayList<>();
        for (String part : text.split(",")) {
            String[] lrEpochs = part.trim().split("[xX]");
            try {
                if (lrEpochs.length != 2) {
                    throw new NumberFormatException();
                }
                float lr = Float.parseFloat(lrEpochs[0]);
                int epochs = Integer.parseInt(lrEpochs[1]);
                if (!(lr > 0) || !Float.isFinite(lr) || epochs < 1) {
                    throw new NumberFormatException();
                }
                phases.add(new Phase(lr, epochs));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad --schedule phase '" + part.trim() + "' in '" + text
                        + "': write LRxEPOCHS with LR > 0 and EPOCHS >= 1, e.g. 0.1x5,0.01x5");
            }
        }
        return new Schedule(phases);
    }

    public int epochs() {
        return phases.stream().mapToInt(Phase::epochs).sum();
    }

    /** The learning rate of epoch {@code epoch} (1-based). */
    public float lr(int epoch) {
        int end = 0;
        for (Phase p : phases) {
            end += p.epochs();
            if (epoch <= end) {
                return p.lr();
            }
        }
        throw new IllegalArgumentException("epoch " + epoch + " is past the schedule's " + epochs() + " epochs");
    }

    @Override
    public String toString() {
        List<String> parts = new ArrayList<>();
        for (Phase p : phases) {
            parts.add(String.format(Locale.ROOT, "%sx%d", p.lr(), p.epochs()));
        }
        return String.join(",", parts);
    }
}
