package ember.exp2;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The rules of {@code --resume}: the continued run is the checkpoint's run. A flag left out is
 * taken from the checkpoint (and said so); a flag given must agree with it, or the resume is
 * refused naming the flag. The schedule is the one exception: a longer one may be given to
 * train on, as long as it agrees on the epochs already done.
 */
public final class Resume {
    private Resume() {}

    /** The flags as given on the command line; null where one was left out. */
    public record Requested(Integer batch, Long seed, Schedule schedule, Integer trainImages, Integer testImages) {}

    /** The run to continue and the flags it took from the checkpoint, e.g. "--batch 64". */
    public record Plan(Checkpoint.Run run, List<String> taken) {}

    public static Plan plan(Path checkpoint, Checkpoint.Progress progress, Requested requested) {
        Checkpoint.Run saved = progress.run();
        List<String> taken = new ArrayList<>();
        int batch = pick(checkpoint, "--batch", requested.batch(), saved.batch(), taken);
        long seed = pick(checkpoint, "--seed", requested.seed(), saved.seed(), taken);
        int trainImages = pick(checkpoint, "--train-images", requested.trainImages(), saved.trainImages(), taken);
        int testImages = pick(checkpoint, "--test-images", requested.testImages(), saved.testImages(), taken);
        Schedule schedule = saved.schedule();
        if (requested.schedule() == null) {
            taken.add("--schedule " + schedule);
        } else {
            for (int epoch = 1; epoch <= progress.epochsDone(); epoch++) {
                if (epoch > requested.schedule().epochs() || requested.schedule().lr(epoch) != saved.schedule().lr(epoch)) {
                    throw new IllegalArgumentException("the schedule " + requested.schedule() + " differs from the "
                            + "checkpoint's " + saved.schedule() + " in epoch " + epoch + ", which " + checkpoint
                            + " has done; a resumed run may only extend its schedule");
                }
            }
            schedule = requested.schedule();
        }
        return new Plan(new Checkpoint.Run(saved.model(), saved.dataset(), trainImages, testImages, batch, seed, schedule),
                List.copyOf(taken));
    }

    /** Fails unless the data and model now are the ones the checkpoint trained. */
    public static void checkSame(Path checkpoint, Checkpoint.Run saved, String model, String datasetDigest) {
        if (!saved.model().equals(model)) {
            throw new IllegalArgumentException(checkpoint + " trained " + saved.model() + ", not " + model);
        }
        if (!saved.dataset().equals(datasetDigest)) {
            throw new IllegalArgumentException("--data holds another dataset than " + checkpoint + " trained on "
                    + "(images and labels digest " + abbreviate(datasetDigest) + ", the checkpoint's "
                    + abbreviate(saved.dataset()) + "); give the same data to resume");
        }
    }

    private static <T> T pick(Path checkpoint, String flag, T given, T saved, List<String> taken) {
        if (given == null) {
            taken.add(flag + " " + saved);
            return saved;
        }
        if (!given.equals(saved)) {
            throw new IllegalArgumentException(flag + " " + given + " differs from the " + saved + " that " + checkpoint
                    + " was trained with; --resume continues that run exactly, so leave " + flag + " out");
        }
        return given;
    }

    private static String abbreviate(String digest) {
        return digest.length() > 12 ? digest.substring(0, 12) + "..." : digest;
    }
}
