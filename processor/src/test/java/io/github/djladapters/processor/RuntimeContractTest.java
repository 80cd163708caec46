package io.github.djladapters.processor;

import static com.google.common.truth.Truth.assertThat;

import io.github.djladapters.runtime.bindings.Site;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The processor names runtime types without depending on the runtime; these tests keep those names
 * in step with the real classes.
 */
class RuntimeContractTest {

    @Test
    void siteNamesMatchTheRuntimeSiteEnumInOrder() {
        List<String> runtime = new ArrayList<>();
        for (Site site : Site.values()) {
            runtime.add(site.name());
        }
        List<String> processor = new ArrayList<>();
        for (SiteName site : SiteName.values()) {
            processor.add(site.name());
        }
        assertThat(processor).containsExactlyElementsIn(runtime).inOrder();
    }

    @Test
    void fusedAndReplaceableSitesAgreeWithTheRuntime() {
        for (Site site : Site.values()) {
            assertThat(SiteName.valueOf(site.name()).fusedQkv()).isEqualTo(site.isFusedQkv());
        }
    }

    @Test
    void everyRoleMapsToTheSiteOfItsScope() {
        for (Role role : Role.values()) {
            if (role.site(false) != null) {
                Site site = Site.valueOf(role.site(false).name());
                assertThat(site.scope().name()).isEqualTo(role.scope() == Role.Scope.ATTENTION ? "SELF_ATTENTION"
                        : "LAYER");
            }
            if (role.site(true) != null) {
                assertThat(Site.valueOf(role.site(true).name()).scope()).isEqualTo(Site.Scope.CROSS_ATTENTION);
            }
        }
    }

    @Test
    void runtimeTypesNamedInGeneratedCodeExist() throws ClassNotFoundException {
        for (var name : List.of(RuntimeTypes.BLOCK, RuntimeTypes.MODEL_BINDINGS, RuntimeTypes.SITE,
                RuntimeTypes.QKV_SPLIT, RuntimeTypes.CHILD_REPLACEMENT, RuntimeTypes.INTERFACE_BINDINGS,
                RuntimeTypes.ADAPTER_MODEL_INTERFACE, RuntimeTypes.ADAPTER_METHOD)) {
            assertThat(Class.forName(name.reflectionName())).isNotNull();
        }
        assertThat(Class.forName(RuntimeTypes.KEY_VALUE_ATTENTION).isInterface()).isTrue();
    }

    @Test
    void builderSettersExistOnTheRuntimeBuilder() throws ReflectiveOperationException {
        Class<?> builder = Class.forName(RuntimeTypes.ADAPTER_MODEL_INTERFACE.reflectionName() + "$Builder");
        for (Role role : Role.values()) {
            assertThat(builder.getMethod(role.builderSetter(), String.class)).isNotNull();
        }
    }

    @Test
    void snakeCaseSplitsCamelCaseWords() {
        assertThat(TargetPathChecker.snakeCase("selfAttn")).isEqualTo("self_attn");
        assertThat(TargetPathChecker.snakeCase("LayerNorm")).isEqualTo("layer_norm");
        assertThat(TargetPathChecker.snakeCase("ln1")).isEqualTo("ln1");
    }
}
