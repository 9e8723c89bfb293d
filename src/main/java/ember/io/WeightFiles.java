package ember.io;

import java.io.IOException;
import java.nio.file.Path;

/** Weight files in either format the engine reads, told apart by their first bytes, not their names. */
public final class WeightFiles {
    private WeightFiles() {}

    /** The tensors and metadata of a .safetensors file, or of a torch.save (.pth) file's state dict. */
    public static Safetensors.Contents read(Path file) throws IOException {
        return TorchSave.looksLikeOne(file) ? TorchSave.readStateDict(file) : Safetensors.read(file);
    }
}
