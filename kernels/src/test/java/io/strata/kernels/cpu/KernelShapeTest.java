package io.strata.kernels.cpu;

import com.sun.management.HotSpotDiagnosticMXBean;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.lang.classfile.Attributes;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.CodeElement;
import java.lang.classfile.MethodModel;
import java.lang.classfile.instruction.InvokeInstruction;
import java.lang.management.ManagementFactory;
import java.lang.reflect.AccessFlag;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * The shape that keeps the quantized kernels' vectors in registers under any JIT history (see
 * {@link RowKernel}): every kernel is too large for C2 to inline into a caller (so no compiled method holds two
 * kernels, or a kernel next to MatMul's loops), and calls no project method that takes or returns a vector (such a
 * call is refused past C2's node budget, or once the helper is compiled on its own, and its vectors then become heap
 * objects). Only JDK methods remain, which the Vector API forces inline. Read from the class files, so a helper or a
 * slimmed-down kernel fails here, not as an allocation that shows up only in some JVMs.
 */
class KernelShapeTest {

    @ParameterizedTest
    @ValueSource(classes = {VectorLegacyDots.class, VectorTileDots.class, VectorRowTileDots.class,
            VectorKQuantDots.class})
    void everyKernelIsLargerThanC2InlinesIntoACaller(Class<?> kernels) throws IOException {
        int freqInlineSize = Integer.parseInt(ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class)
                .getVMOption("FreqInlineSize").getValue());
        List<String> small = new ArrayList<>();
        for (MethodModel m : kernelMethods(kernels)) {
            int length = m.findAttribute(Attributes.code()).orElseThrow().codeLength();
            if (length <= freqInlineSize) {
                small.add(m.methodName().stringValue() + " (" + length + " bytes)");
            }
        }
        assertEquals(List.of(), small, kernels.getSimpleName() + ": kernels C2 may inline (FreqInlineSize "
                + freqInlineSize + ")");
    }

    @ParameterizedTest
    @ValueSource(classes = {VectorLegacyDots.class, VectorTileDots.class, VectorRowTileDots.class,
            VectorKQuantDots.class})
    void noKernelCallsAProjectMethodWithVectors(Class<?> kernels) throws IOException {
        List<String> calls = new ArrayList<>();
        for (MethodModel m : kernelMethods(kernels)) {
            for (CodeElement e : m.code().orElseThrow()) {
                if (e instanceof InvokeInstruction call && call.owner().asInternalName().startsWith("io/strata/")
                        && call.typeSymbol().descriptorString().contains("Ljdk/incubator/vector/")) {
                    calls.add(m.methodName() + " -> " + call.owner().asInternalName() + "." + call.name());
                }
            }
        }
        assertEquals(List.of(), calls, kernels.getSimpleName() + ": calls whose vectors C2 may box");
    }

    /**
     * The kernels: every static method the package calls that uses the Vector API (a private one would be a helper,
     * or run once at class initialization; a dispatcher that only passes scalars on is no kernel).
     */
    private static List<MethodModel> kernelMethods(Class<?> kernels) throws IOException {
        ClassModel model;
        try (InputStream in = kernels.getResourceAsStream(kernels.getSimpleName() + ".class")) {
            model = ClassFile.of().parse(in.readAllBytes());
        }
        List<MethodModel> found = model.methods().stream()
                .filter(m -> m.flags().has(AccessFlag.STATIC) && !m.flags().has(AccessFlag.PRIVATE)
                        && !m.methodName().equalsString("<clinit>") && usesVectors(m))
                .toList();
        assertFalse(found.isEmpty(), kernels + " has no kernels");
        return found;
    }

    private static boolean usesVectors(MethodModel m) {
        for (CodeElement e : m.code().orElseThrow()) {
            if (e instanceof InvokeInstruction call && call.owner().asInternalName().startsWith("jdk/incubator/vector/")) {
                return true;
            }
        }
        return false;
    }
}
