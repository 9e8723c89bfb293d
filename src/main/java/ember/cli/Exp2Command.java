package ember.cli;

import ember.backend.Backends;
import ember.backend.Job;
import ember.backend.Precision;
import ember.backend.cuda.CudaBackend;
import ember.data.BatchLoader;
import ember.data.Cifar10;
import ember.data.Cifar10Data;
import ember.exp2.Checkpoint;
import ember.exp2.EpochResult;
import ember.exp2.Exp2Report;
import ember.exp2.Exp2Trainer;
import ember.exp2.Resume;
import ember.exp2.Schedule;
import ember.io.Figures;
import ember.io.OutputFolder;
import ember.nn.ResNet;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** exp2: ResNet20 on CIFAR-10 with the lab's recipe; per-epoch log, checkpoints, figure, final weights. */
@Command(name = "exp2", mixinStandardHelpOptions = true,
        description = "Train ResNet20 on CIFAR-10 (train split only), test after every epoch; writes "
                + "checkpoints/epoch-NN.{safetensors,pth}, final.safetensors, final.pth (the lab's "
                + "{'net', 'acc', 'epoch'}), exp2.csv and exp2.png.")
final class Exp2Command implements Callable<Integer> {
    @Option(names = "--data", paramLabel = "PATH", description = "CIFAR-10: a folder or .tar.gz, binary or "
            + "image folders (see data/README.md). Default: ${DEFAULT-VALUE}")
    Path data = Path.of("data");

    @Option(names = "--device", description = "Backend: " + Backends.DEVICES + ". Default: ${DEFAULT-VALUE}")
    String device = "auto";

    @Option(names = "--precision", paramLabel = "tf32|fp32", converter = PrecisionConverter.class,
            description = "GPU convolutions: tf32 (tensor cores, PyTorch's default for them) or fp32. The CPU and "
                    + "OpenCL backends always compute in fp32. Default: tf32")
    Precision precision = Precision.TF32;

    @Option(names = "--epochs", description = "Epochs of the lab's schedule (LR 0.1 for the first half, "
            + "0.01 after). Default: ${DEFAULT-VALUE}")
    int epochs = 10;

    @Option(names = "--schedule", paramLabel = "LRxN[,LRxN...]",
            description = "Explicit schedule instead of --epochs, e.g. 0.1x5,0.01x5 or 0.01x5 after --init.")
    String schedule;

    @Option(names = "--batch", description = "Images per step. Default: ${DEFAULT-VALUE}")
    int batch = 128;

    @Option(names = "--seed", description = "Seed for initial weights, shuffling and augmentation. Default: ${DEFAULT-VALUE}")
    long seed = 0;

    @Option(names = "--out", description = "Output folder. Default: ${DEFAULT-VALUE}")
    Path out = Path.of("runs", "exp2");

    @Option(names = "--init", paramLabel = "WEIGHTS", description = "Start from these weights: final.safetensors, "
            + "a checkpoint, or a .pth from torch.save (a state dict, bare or under 'net', 'state_dict' or 'model', "
            + "e.g. the lab's pretrain_model.pth); fresh optimizer, epoch 1.")
    Path init;

    @Option(names = "--resume", paramLabel = "CHECKPOINT", description = "Continue a run exactly where this "
            + "checkpoint left it (weights, BN statistics, momentum, epoch). Batch, seed, schedule and subset sizes "
            + "are taken from it; given flags must agree with it, and --data must hold the same images.")
    Path resume;

    @Option(names = "--eval-only", description = "Only print the test accuracy of --init weights.")
    boolean evalOnly;

    @Option(names = "--train-images", paramLabel = "N", description = "Train on a fixed random subset of N "
            + "training images (quick runs); default: all.")
    Integer trainImages;

    @Option(names = "--test-images", paramLabel = "N", description = "Test on a fixed random subset of N test images.")
    Integer testImages;

    @Option(names = "--overwrite", description = "Replace the files of an earlier run in --out (without it, "
            + "a folder holding them is refused).")
    boolean overwrite;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** What exp2 writes into --out, as globs: an earlier run's are refused, or replaced with --overwrite. */
    static final List<String> OUTPUTS = List.of("final.safetensors", "final.pth", "exp2.csv", "exp2.png",
            "checkpoints/epoch-*.safetensors", "checkpoints/epoch-*.pth");
    static final String MODEL = "resnet20";

    @Override
    public Integer call() throws IOException {
        PrintWriter log = spec.commandLine().getOut();
        checkFlags();
        ResNet.Config config = ResNet.Config.resnet20();
        Checkpoint.Contents restored = null;
        Schedule requestedSchedule = schedule != null ? Schedule.parse(schedule)
                : given("--epochs") || resume == null ? Schedule.lab(epochs) : null;
        Checkpoint.Run runFromFlags = null;
        Schedule plan = requestedSchedule;
        List<EpochResult> history = new ArrayList<>();
        int done = 0;
        if (resume != null) {
            restored = Checkpoint.read(resume, config);
            Checkpoint.Progress progress = restored.progress();
            if (progress == null || restored.momentum() == null) {
                throw new IllegalArgumentException(resume + " holds weights but no training state; start from it with --init");
            }
            done = progress.epochsDone();
            Resume.Plan resumed = Resume.plan(resume, progress, new Resume.Requested(
                    given("--batch") ? batch : null, given("--seed") ? seed : null, requestedSchedule,
                    trainImages, testImages));
            runFromFlags = resumed.run();
            plan = runFromFlags.schedule();
            batch = runFromFlags.batch();
            seed = runFromFlags.seed();
            history.addAll(progress.history());
            if (done > plan.epochs()) {
                throw new IllegalArgumentException(resume + " has done " + done + " epochs, the schedule " + plan
                        + " has " + plan.epochs() + "; give a longer --schedule to train on");
            }
            // done == plan.epochs(): the run stopped between its last checkpoint and its final
            // files, which the loop below then writes without training.
            log.println("resume: continuing " + resume + " after epoch " + done
                    + (done == plan.epochs() ? " (its schedule's last: only the final files are left to write)" : "")
                    + "; from the checkpoint: " + String.join(", ", resumed.taken()));
        } else if (init != null) {
            restored = Checkpoint.read(init, config);
        }
        OutputFolder outputs = new OutputFolder(out, OUTPUTS);
        if (!evalOnly) {
            claim(outputs, done);
        }

        Cifar10Data dataset = Cifar10.load(data);
        log.println("data: " + dataset.summary());
        String digest = dataset.digest();
        if (resume != null) {
            Resume.checkSame(resume, restored.progress().run(), MODEL, digest);
        }
        Integer trainCount = runFromFlags != null ? Integer.valueOf(runFromFlags.trainImages()) : trainImages;
        Integer testCount = runFromFlags != null ? Integer.valueOf(runFromFlags.testImages()) : testImages;
        var train = trainCount == null || trainCount == dataset.train().size() ? dataset.train()
                : dataset.train().sample(trainCount, seed);
        var test = testCount == null || testCount == dataset.test().size() ? dataset.test()
                : dataset.test().sample(testCount, seed);
        Checkpoint.Run run = new Checkpoint.Run(MODEL, digest, train.size(), test.size(), batch, seed, plan);

        try (Backends.Choice choice = Backends.open(device, Job.EXP2, precision);
             Exp2Trainer trainer = new Exp2Trainer(choice.backend(), config, batch, seed);
             BatchLoader trainLoader = new BatchLoader(train, BatchLoader.Options.training(batch, seed));
             BatchLoader testLoader = new BatchLoader(test, BatchLoader.Options.evaluation(batch))) {
            log.println(choice.summary());
            if (restored != null) {
                Checkpoint.restoreWeights(restored, trainer.model());
                if (resume != null) {
                    trainer.optimizer().momentumFromHost(restored.momentum());
                }
                log.println("loaded " + (resume != null ? resume + " (after epoch " + done + ")" : init));
            }
            if (evalOnly) {
                Exp2Trainer.Evaluation e = trainer.evaluate(testLoader);
                log.printf(Locale.ROOT, "test accuracy %.2f%% (loss %.4f) on %d images, %.1f s%n",
                        100 * e.accuracy(), e.loss(), e.images(), e.seconds());
                return 0;
            }
            log.printf(Locale.ROOT, "exp2: ResNet20 (%d parameters), schedule %s, batch %d, seed %d, %d train / %d test images%n",
                    trainer.model().parameters().count(), plan, batch, seed, train.size(), test.size());
            log.flush();
            long steps = (long) done * trainLoader.batchesPerEpoch();
            boolean drawFigure = true;
            for (int epoch = done + 1; epoch <= plan.epochs(); epoch++) {
                float lr = plan.lr(epoch);
                Exp2Trainer.TrainResult result;
                try (Progress progress = new Progress("epoch " + epoch + "/" + plan.epochs(), trainLoader.batchesPerEpoch())) {
                    result = trainer.trainEpoch(epoch, lr, trainLoader, progress);
                } catch (Exp2Trainer.DivergedException e) {
                    spec.commandLine().getErr().println("ember: " + e.getMessage()
                            + (epoch > 1 ? "; the checkpoint of epoch " + (epoch - 1) + " is kept" : ""));
                    return Main.EXIT_DIVERGED;
                }
                steps += result.steps();
                EpochResult epochResult = new EpochResult(epoch, lr, result, trainer.evaluate(testLoader));
                history.add(epochResult);
                log.println(epochResult.line(plan.epochs()));
                log.flush();
                Checkpoint.Progress progress = new Checkpoint.Progress(epoch, run, history);
                Path checkpoints = out.resolve("checkpoints");
                String name = String.format(Locale.ROOT, "epoch-%02d", epoch);
                Checkpoint.saveCheckpoint(checkpoints.resolve(name + ".safetensors"), trainer.model(),
                        trainer.optimizer().momentumToHost(), progress, steps);
                Checkpoint.saveLabWeights(checkpoints.resolve(name + ".pth"), trainer.model(), steps,
                        epochResult.test().accuracy(), epoch);
                Exp2Report.writeCsv(out.resolve("exp2.csv"), history);
                if (drawFigure) {
                    try {
                        Exp2Report.writeFigure(out.resolve("exp2.png"), "ResNet20 / CIFAR-10", history);
                    } catch (Figures.FigureException e) {
                        // Said once; training goes on, and exp2.csv holds the same numbers.
                        spec.commandLine().getErr().println("ember: warning: " + e.getMessage() + "; exp2.csv has the numbers");
                        drawFigure = false;
                    }
                }
            }
            Checkpoint.saveWeights(out.resolve("final.safetensors"), trainer.model(), steps);
            EpochResult last = history.getLast();
            Checkpoint.saveLabWeights(out.resolve("final.pth"), trainer.model(), steps, last.test().accuracy(),
                    plan.epochs());
            log.printf(Locale.ROOT, "exp2: final test accuracy %.2f%% (best %.2f%%), %.0f s training on %s -> %s%n",
                    100 * last.test().accuracy(), 100 * history.stream().mapToDouble(e -> e.test().accuracy()).max().orElse(0),
                    history.stream().mapToDouble(e -> e.train().seconds()).sum(), choice.backend().name(),
                    out.resolve(drawFigure ? "{final.safetensors, final.pth, exp2.csv, exp2.png, checkpoints/}"
                            : "{final.safetensors, final.pth, exp2.csv, checkpoints/}"));
            if (choice.backend() instanceof CudaBackend cuda) {
                // What the GPU check compares with PyTorch, and what cuDNN chose for each convolution.
                log.println(cuda.memoryReport());
                cuda.convolutionPlans().forEach(line -> log.println("cudnn plan: " + line));
            }
        }
        return 0;
    }

    /** Flags wrong on their own, said before any file is read. */
    private void checkFlags() {
        if (init != null && resume != null) {
            throw new IllegalArgumentException("--init and --resume exclude each other: --resume restores a whole run");
        }
        if (evalOnly && init == null) {
            throw new IllegalArgumentException("--eval-only needs --init WEIGHTS");
        }
        if (batch < 1) {
            throw new IllegalArgumentException("--batch must be at least 1, got " + batch);
        }
        if (epochs < 1) {
            throw new IllegalArgumentException("--epochs must be at least 1, got " + epochs);
        }
        for (var flag : new Object[][] {{"--train-images", trainImages}, {"--test-images", testImages}}) {
            if (flag[1] != null && (Integer) flag[1] < 1) {
                throw new IllegalArgumentException(flag[0] + " must be at least 1, got " + flag[1]);
            }
        }
    }

    private boolean given(String flag) {
        return spec.commandLine().getParseResult().hasMatchedOption(flag);
    }

    /**
     * Makes --out ready before any training: writable, our stale temporary files gone, and no
     * other run's files left to be mistaken for this one's. Resuming in the run's own folder
     * keeps its files up to the checkpoint and removes the later ones, which it will rewrite.
     */
    private void claim(OutputFolder outputs, int done) throws IOException {
        List<Path> earlier = outputs.prepare();
        if (earlier.isEmpty()) {
            return;
        }
        boolean ownFolder = resume != null && resume.toAbsolutePath().normalize().getParent()
                .equals(out.resolve("checkpoints").toAbsolutePath().normalize());
        if (ownFolder && !overwrite) {
            OutputFolder.delete(earlier.stream().filter(f -> isAfter(f, done)).toList());
        } else if (overwrite) {
            // Not the file this run starts from, should it be among them.
            List<Path> starts = java.util.stream.Stream.of(resume, init).filter(java.util.Objects::nonNull)
                    .map(p -> p.toAbsolutePath().normalize()).toList();
            OutputFolder.delete(earlier.stream().filter(f -> !starts.contains(f.toAbsolutePath().normalize())).toList());
        } else {
            throw outputs.occupied(earlier);
        }
    }

    /** Whether an output file belongs after epoch {@code done}: the final weights, later checkpoints. */
    private static boolean isAfter(Path file, int done) {
        String name = file.getFileName().toString();
        if (name.startsWith("final.")) {
            return true;
        }
        var epoch = java.util.regex.Pattern.compile("epoch-(\\d+)\\.").matcher(name);
        return epoch.lookingAt() && Integer.parseInt(epoch.group(1)) > done;
    }
}
