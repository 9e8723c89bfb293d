package ember.nn;

import ember.backend.Backend;
import ember.backend.Buffer;
import ember.backend.ConvShape;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The CIFAR ResNet of ../shared/reference/resnet20_torch.py with explicit forward and
 * backward passes: conv3x3 + BN + ReLU, three stages of basic blocks (the later stages start
 * with stride 2), global average pooling, Linear. Tensor names follow the reference's
 * state dict. Every activation is allocated once, for {@code maxBatch} images.
 */
public final class ResNet implements AutoCloseable {

    /** The architecture: stage widths, blocks per stage, input size and classes. */
    public record Config(int[] widths, int blocksPerStage, int imageSize, int inChannels, int classes) {
        public Config {
            widths = widths.clone();
        }

        @Override
        public int[] widths() {
            return widths.clone();
        }

        /** ResNet20 for CIFAR-10: 16/32/64 channels, 3 blocks per stage, 32×32 RGB, 10 classes. */
        public static Config resnet20() {
            return new Config(new int[] {16, 32, 64}, 3, 32, 3, 10);
        }

        public int inputPerImage() {
            return inChannels * imageSize * imageSize;
        }

        /** One block of the plan: its name prefix, channels in and out, stride, input size. */
        record Block(String prefix, int in, int out, int stride, int size) {}

        List<Block> blocks() {
            List<Block> blocks = new ArrayList<>();
            int in = widths[0], size = imageSize;
            for (int stage = 0; stage < widths.length; stage++) {
                for (int i = 0; i < blocksPerStage; i++) {
                    int stride = stage > 0 && i == 0 ? 2 : 1;
                    blocks.add(new Block("layer" + (stage + 1) + "." + i, in, widths[stage], stride, size));
                    size = (size + 2 - 3) / stride + 1;
                    in = widths[stage];
                }
            }
            return blocks;
        }

        public List<ParamSpec> paramSpecs() {
            List<ParamSpec> specs = new ArrayList<>();
            specs.add(new ParamSpec("conv1.weight", widths[0], inChannels, 3, 3));
            specs.addAll(BatchNorm2d.paramSpecs("bn1", widths[0]));
            for (Block b : blocks()) {
                specs.addAll(BasicBlock.paramSpecs(b.prefix(), b.in(), b.out(), b.stride()));
            }
            specs.addAll(Linear.specs("linear", widths[widths.length - 1], classes));
            return specs;
        }

        public List<ParamSpec> stateSpecs() {
            List<ParamSpec> specs = new ArrayList<>(BatchNorm2d.stateSpecs("bn1", widths[0]));
            for (Block b : blocks()) {
                specs.addAll(BasicBlock.stateSpecs(b.prefix(), b.in(), b.out(), b.stride()));
            }
            return specs;
        }
    }

    private final Config config;
    private final int maxBatch;
    private final Parameters parameters;
    private final NamedTensors state;
    private final ConvBnRelu stem;
    private final List<BasicBlock> blocks = new ArrayList<>();
    private final GlobalAvgPool pool;
    private final Linear linear;
    // What the blocks, the pooling and the linear layer read in the last forward, for the backward pass.
    private final Buffer[] blockInputs;
    private Buffer pooledInput, pooled;

    public ResNet(Backend backend, Config config, int maxBatch) {
        this.config = config;
        this.maxBatch = maxBatch;
        this.parameters = new Parameters(backend, config.paramSpecs());
        this.state = new NamedTensors(backend, config.stateSpecs());
        int size = config.imageSize(), first = config.widths()[0];
        stem = new ConvBnRelu(backend, new ConvShape(maxBatch, config.inChannels(), size, size, first, 3, 1, 1),
                "conv1", "bn1", parameters, state);
        for (Config.Block b : config.blocks()) {
            blocks.add(new BasicBlock(backend, b.prefix(), b.in(), b.out(), b.stride(), b.size(), maxBatch,
                    parameters, state));
        }
        int lastChannels = config.widths()[config.widths().length - 1];
        pool = new GlobalAvgPool(backend, lastChannels, blocks.getLast().outputPerImage() / lastChannels, maxBatch);
        linear = new Linear(backend, parameters.get("linear.weight"), parameters.get("linear.bias"), maxBatch, true);
        blockInputs = new Buffer[blocks.size()];
    }

    public Config config() {
        return config;
    }

    public Parameters parameters() {
        return parameters;
    }

    /** The BN running statistics: saved in checkpoints, not trained. */
    public NamedTensors state() {
        return state;
    }

    /** The reference's initialisation, from a seeded generator. */
    public void initialize(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        stem.initialize(random);
        for (BasicBlock block : blocks) {
            block.initialize(random);
        }
        linear.initialize(random);
    }

    /** Logits [batch, classes] for the images x [batch, C, H, W]; a view valid until the next call. */
    public Buffer forward(Buffer x, int batch, boolean training) {
        if (batch < 1 || batch > maxBatch) {
            throw new IllegalArgumentException("batch " + batch + " outside 1.." + maxBatch);
        }
        Buffer h = stem.forward(x, batch, training);
        for (int i = 0; i < blocks.size(); i++) {
            blockInputs[i] = h;
            h = blocks.get(i).forward(h, batch, training);
        }
        pooledInput = h;
        pooled = pool.forward(h, batch, training);
        return linear.forward(pooled, batch, training);
    }

    /** Back-propagates dLogits through the last training forward on x; adds into the parameter gradients. */
    public void backward(Buffer x, Buffer dLogits, int batch) {
        Buffer dh = pool.backward(pooledInput, linear.backward(pooled, dLogits, batch), batch);
        // Each block but the first takes its input gradient back through the ReLU that ended the
        // block before (as conv1 writes it), which then skips that ReLU's pass; the first block's
        // goes to the stem's batch norm + ReLU backward, which has the mask built in.
        int last = blocks.size() - 1;
        for (int i = last; i >= 0; i--) {
            dh = blocks.get(i).backward(blockInputs[i], dh, batch, i < last, i > 0);
        }
        stem.backward(x, dh, batch);
    }

    @Override
    public void close() {
        stem.close();
        blocks.forEach(BasicBlock::close);
        pool.close();
        linear.close();
        parameters.close();
        state.close();
    }
}
