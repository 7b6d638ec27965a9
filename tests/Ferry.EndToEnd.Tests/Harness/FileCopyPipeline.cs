namespace Ferry.EndToEnd.Tests.Harness;

/// <summary>Pipeline "copy": in.csv to out.csv in <c>folder</c> on a node of <c>runtime</c> (a FileServer linked service "share").</summary>
public static class FileCopyPipeline
{
    public static async Task CreateAsync(FerryServer server, string runtime, string folder)
    {
        await server.CreateAsync("linked-service", "share", $$"""
            {"properties": {"type": "FileServer", "connectVia": {"referenceName": "{{runtime}}", "type": "IntegrationRuntimeReference"}, "typeProperties": {"host": "{{folder}}"} } }
            """);
        foreach (var (name, file) in new[] { ("in", "in.csv"), ("out", "out.csv") })
        {
            await server.CreateAsync("dataset", name, $$"""
                {"properties": {"type": "DelimitedText", "linkedServiceName": {"referenceName": "share", "type": "LinkedServiceReference"},
                  "typeProperties": {"location": {"type": "FileServerLocation", "fileName": "{{file}}"}, "firstRowAsHeader": true} } }
                """);
        }
        await server.CreateAsync("pipeline", "copy", """
            {"properties": {"activities": [{"name": "Copy", "type": "Copy", "inputs": [{"referenceName": "in", "type": "DatasetReference"}],
              "outputs": [{"referenceName": "out", "type": "DatasetReference"}],
              "typeProperties": {"source": {"type": "DelimitedTextSource"}, "sink": {"type": "DelimitedTextSink"}}}]}}
            """);
    }
}
