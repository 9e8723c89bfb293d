package ember.io;

import java.io.IOException;
import java.nio.file.Path;

/** Weight files in either format the engine reads, told apart by their first bytes, not their names. */
public final class WeightFiles {
    private WeightFiles() {}

    /** The tensors and metadata of a .safetensors file, or of a torch.save (.pth) file's state dict. */
    public static Safetensors.Contents read(Path file) throws IOException {
        if (java.nio.file.Files.isDirectory(file)) {
            throw new IOException(file + ": is a folder; give a weights file (.safetensors or .pth)");
        }
        return TorchSave.looksLikeOne(file) ? TorchSave.readStateDict(file) : Safetensors.read(file);
    }
}
