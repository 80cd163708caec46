package io.github.djladapters.runtime.files;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** JSON text as Python's {@code json.dumps(indent=2, sort_keys=True)} writes it. */
class PythonJsonTest {

    @Test
    void floatsAreWrittenAsPythonsRepr() {
        assertEquals("0.0", PythonJson.pythonFloat(0.0));
        assertEquals("16.0", PythonJson.pythonFloat(16.0));
        assertEquals("0.05", PythonJson.pythonFloat(0.05));
        assertEquals("0.0001", PythonJson.pythonFloat(1e-4));
        assertEquals("1e-05", PythonJson.pythonFloat(1e-5));
        assertEquals("-2.5e-07", PythonJson.pythonFloat(-2.5e-7));
        assertEquals("1e+16", PythonJson.pythonFloat(1e16));
        assertEquals("123456789.0", PythonJson.pythonFloat(123456789.0));
    }

    @Test
    void keysAreSortedIndentedAndNonAsciiEscaped() throws Exception {
        String text = PythonJson.write(new ObjectMapper().readTree(
                "{\"b\": [1, \"é\"], \"a\": {}, \"c\": [], \"d\": {\"y\": null, \"x\": true}}"));
        assertEquals("{\n  \"a\": {},\n  \"b\": [\n    1,\n    \"\\u00e9\"\n  ],\n  \"c\": [],\n"
                + "  \"d\": {\n    \"x\": true,\n    \"y\": null\n  }\n}", text);
    }
}
