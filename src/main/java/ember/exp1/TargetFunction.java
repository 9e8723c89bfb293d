package ember.exp1;

import net.objecthunter.exp4j.Expression;
import net.objecthunter.exp4j.ExpressionBuilder;

/** The function exp1 fits: an expression in x, parsed by exp4j (+ − * / ^, sin, cos, exp, log, sqrt, abs, …). */
public final class TargetFunction {
    /** The lab's function. */
    public static final String LAB_DEFAULT = "x^2 + 2*sin(x) + cos(x-1) - 5";

    private final String text;
    private final Expression expression;

    private TargetFunction(String text, Expression expression) {
        this.text = text;
        this.expression = expression;
    }

    /** Parses {@code text}; a bad expression is an IllegalArgumentException naming --function and the cause. */
    public static TargetFunction parse(String text) {
        try {
            Expression expression = new ExpressionBuilder(text).variable("x").build();
            var validation = expression.setVariable("x", 0.5).validate(true);
            if (!validation.isValid()) {
                throw new IllegalArgumentException(String.join("; ", validation.getErrors()));
            }
            return new TargetFunction(text, expression);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("bad --function \"" + text + "\": " + e.getMessage()
                    + " (write an expression in x, e.g. \"" + LAB_DEFAULT + "\")");
        }
    }

    public String text() {
        return text;
    }

    /** f(x); throws when f is not finite there, naming x, so no NaN reaches training. */
    public double at(double x) {
        double y;
        try {
            y = expression.setVariable("x", x).evaluate();
        } catch (ArithmeticException e) {
            y = Double.NaN;
        }
        if (!Double.isFinite(y)) {
            throw new IllegalArgumentException("--function \"" + text + "\" is not finite at x = " + x
                    + " (" + y + "); choose --x-min/--x-max where it is defined");
        }
        return y;
    }
}
