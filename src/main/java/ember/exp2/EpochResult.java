package ember.exp2;

import java.util.Locale;

/** One epoch of exp2: its learning rate, the training numbers and the test evaluation after it. */
public record EpochResult(int epoch, float lr, Exp2Trainer.TrainResult train, Exp2Trainer.Evaluation test) {

    public double imagesPerSecond() {
        return train.images() / train.seconds();
    }

    public static final String CSV_HEADER = "epoch,lr,train_loss,train_acc,test_loss,test_acc,train_s,test_s,"
            + "images_per_s,loader_s,forward_s,backward_s,update_s,replayed_s";

    public String csv() {
        return String.format(Locale.ROOT, "%d,%s,%.5f,%.5f,%.5f,%.5f,%.2f,%.2f,%.1f,%.2f,%.2f,%.2f,%.2f,%.2f", epoch, lr,
                train.loss(), train.accuracy(), test.loss(), test.accuracy(), train.seconds(), test.seconds(),
                imagesPerSecond(), train.loaderSeconds(), train.forwardSeconds(), train.backwardSeconds(),
                train.updateSeconds(), train.replayedSeconds());
    }

    /** Reads back a line written by {@link #csv()}: how a resumed run recovers the earlier epochs. */
    public static EpochResult parseCsv(String line) {
        String[] f = line.split(",");
        // 13 fields before replayed_s was added: logs of earlier runs still resume.
        if (f.length != 13 && f.length != 14) {
            throw new IllegalArgumentException("not an exp2 log line: " + line);
        }
        double trainSeconds = Double.parseDouble(f[6]);
        int images = (int) Math.round(Double.parseDouble(f[8]) * trainSeconds);
        var train = new Exp2Trainer.TrainResult(0, images, Double.parseDouble(f[2]), Double.parseDouble(f[3]),
                trainSeconds, Double.parseDouble(f[9]), Double.parseDouble(f[10]), Double.parseDouble(f[11]),
                Double.parseDouble(f[12]), f.length > 13 ? Double.parseDouble(f[13]) : 0);
        var test = new Exp2Trainer.Evaluation(Double.parseDouble(f[4]), Double.parseDouble(f[5]), 0,
                Double.parseDouble(f[7]));
        return new EpochResult(Integer.parseInt(f[0]), Float.parseFloat(f[1]), train, test);
    }

    /** The one line printed per epoch. */
    public String line(int epochs) {
        // Replayed steps (a recorded graph) are timed whole: forward, backward and update are one there.
        String replayed = train.replayedSeconds() > 0
                ? String.format(Locale.ROOT, ", replayed steps %.1f", train.replayedSeconds()) : "";
        return String.format(Locale.ROOT,
                "epoch %2d/%d  lr %-5s  train loss %.4f acc %5.2f%%  test loss %.4f acc %5.2f%%  "
                        + "train %.1f s  test %.1f s  %.0f img/s  [loader %.1f, forward %.1f, backward %.1f, update %.1f%s s]",
                epoch, epochs, lr, train.loss(), 100 * train.accuracy(), test.loss(), 100 * test.accuracy(),
                train.seconds(), test.seconds(), imagesPerSecond(), train.loaderSeconds(), train.forwardSeconds(),
                train.backwardSeconds(), train.updateSeconds(), replayed);
    }
}
