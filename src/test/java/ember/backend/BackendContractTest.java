package ember.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * What a backend must write is exactly the primitives plus four bookkeeping methods; every
 * other method of the contract has a default (docs/backends.md gives the count).
 */
class BackendContractTest {
    private static final Set<String> BOOKKEEPING = Set.of("name", "description", "allocations", "close");

    @Test
    void theAbstractMethodsAreThePrimitivesAndTheBookkeeping() {
        Set<String> abstractMethods = Arrays.stream(Backend.class.getMethods())
                .filter(m -> Modifier.isAbstract(m.getModifiers()))
                .map(Method::getName)
                .collect(Collectors.toCollection(TreeSet::new));
        Set<String> expected = Arrays.stream(Primitive.values()).map(Primitive::method)
                .collect(Collectors.toCollection(TreeSet::new));
        expected.addAll(BOOKKEEPING);
        assertEquals(expected, abstractMethods);
        long overloads = Arrays.stream(Backend.class.getMethods()).filter(m -> Modifier.isAbstract(m.getModifiers()))
                .count();
        assertEquals(25 + BOOKKEEPING.size(), overloads, "one abstract method per primitive");
        assertEquals(25, Primitive.values().length);
    }
}
