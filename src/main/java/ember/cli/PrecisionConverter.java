package ember.cli;

import ember.backend.Precision;
import picocli.CommandLine;

/** --precision: tf32 or fp32, in any case; anything else is refused naming the flag. */
final class PrecisionConverter implements CommandLine.ITypeConverter<Precision> {
    @Override
    public Precision convert(String value) {
        for (Precision p : Precision.values()) {
            if (p.flag().equalsIgnoreCase(value)) {
                return p;
            }
        }
        throw new CommandLine.TypeConversionException("--precision must be tf32 or fp32, not '" + value + "'");
    }
}
