using System.IO.Compression;
using System.Text.Json.Nodes;
using Ferry.Contracts.Problems;
using Ferry.Contracts.Protocol;
using Ferry.Engine.Access;

namespace Ferry.Engine.Tests;

public sealed class FileServerTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly NodeAccessPolicy _policy;
    private readonly string _linkedService;

    public FileServerTests()
    {
        _policy = new NodeAccessPolicy(true, [_temp.Path], false);
        _linkedService = Support.Json(new { type = "FileServer", typeProperties = new { host = _temp.Path } });
        Directory.CreateDirectory(_temp.Combine("in", "sub"));
        File.WriteAllText(_temp.Combine("in", "people.csv"),
            "id;name;note\r\n1;Ada;\"semi;colon\"\r\n2;\"Grace \\\"Amazing\\\" Hopper\";\r\n\r\n3;Linus;\"two\nlines\"\r\n");
        File.WriteAllText(_temp.Combine("in", "lines.json"), "{\"id\": 1, \"name\": \"Ada\", \"score\": 1.5}\n{\"id\": 2, \"name\": null, \"tags\": [\"x\"]}\n");
        File.WriteAllText(_temp.Combine("in", "array.json"), "[{\"a\": 1}, {\"a\": 2}, {\"a\": 3}]");
        File.WriteAllText(_temp.Combine("in", "broken.json"), "{\"a\": 1}\n{\"a\": }\n");
    }

    private static string Csv(string? fileName = "people.csv", bool header = true) => Support.Json(new
    {
        type = "DelimitedText",
        typeProperties = new
        {
            location = new { type = "FileServerLocation", folderPath = "in", fileName },
            columnDelimiter = ";", firstRowAsHeader = header,
        },
    });

    private static string JsonDataset(string fileName) => Support.Json(new
    {
        type = "Json", typeProperties = new { location = new { type = "FileServerLocation", folderPath = "in", fileName } },
    });

    [Fact]
    public async Task Browse_lists_folders_then_files_with_sizes()
    {
        var response = await Support.RunAsync(_policy, InteractiveOperation.Browse, _linkedService, path: "in");
        Assert.True(response.Succeeded, response.Message);
        var items = response.Result!["items"]!.AsArray().Select(i => (i!["name"]!.GetValue<string>(), i["type"]!.GetValue<string>())).ToList();
        Assert.Equal(("sub", "folder"), items[0]);
        Assert.Contains(("people.csv", "file"), items);
    }

    [Fact]
    public async Task Delimited_text_preview_honours_quotes_escapes_line_breaks_and_nulls()
    {
        var response = await Support.RunAsync(_policy, InteractiveOperation.Preview, _linkedService, Csv());
        Assert.True(response.Succeeded, response.Message);
        Assert.Equal(["id", "name", "note"], response.Result!["columns"]!.AsArray().Select(c => c!["name"]!.GetValue<string>()));
        var rows = response.Result["rows"]!.AsArray();
        Assert.Equal(3, rows.Count);
        Assert.Equal("semi;colon", rows[0]![2]!.GetValue<string>());
        Assert.Equal("Grace \"Amazing\" Hopper", rows[1]![1]!.GetValue<string>());
        Assert.Null(rows[1]![2]);
        Assert.Equal("two\nlines", rows[2]![2]!.GetValue<string>());
        Assert.False(response.Result["truncated"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Preview_stops_at_the_row_count_and_says_so()
    {
        var response = await Support.RunAsync(_policy, InteractiveOperation.Preview, _linkedService, Csv(), rows: 2);
        Assert.Equal(2, response.Result!["rows"]!.AsArray().Count);
        Assert.True(response.Result["truncated"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Without_a_header_columns_are_named_as_ADF_names_them()
    {
        var response = await Support.RunAsync(_policy, InteractiveOperation.GetSchema, _linkedService, Csv(header: false));
        Assert.Equal(["Prop_0", "Prop_1", "Prop_2"], response.Result!["columns"]!.AsArray().Select(c => c!["name"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Gzip_files_are_read_through_the_codec()
    {
        using (var file = File.Create(_temp.Combine("in", "people.csv.gz")))
        using (var gzip = new GZipStream(file, CompressionLevel.Fastest))
            gzip.Write("a,b\n1,2\n"u8);
        var dataset = Support.Json(new
        {
            type = "DelimitedText",
            typeProperties = new { location = new { type = "FileServerLocation", folderPath = "in", fileName = "people.csv.gz" }, firstRowAsHeader = true, compressionCodec = "gzip" },
        });
        var response = await Support.RunAsync(_policy, InteractiveOperation.Preview, _linkedService, dataset);
        Assert.True(response.Succeeded, response.Message);
        Assert.Equal("2", response.Result!["rows"]![0]![1]!.GetValue<string>());
    }

    [Fact]
    public async Task Json_lines_give_a_schema_with_types_and_nullability()
    {
        var response = await Support.RunAsync(_policy, InteractiveOperation.GetSchema, _linkedService, JsonDataset("lines.json"));
        Assert.True(response.Succeeded, response.Message);
        var columns = response.Result!["columns"]!.AsArray().ToDictionary(c => c!["name"]!.GetValue<string>(), c => c!);
        Assert.Equal(["id", "name", "score", "tags"], columns.Keys);
        Assert.Equal("Int64", columns["id"]["type"]!.GetValue<string>());
        Assert.False(columns["id"]["nullable"]!.GetValue<bool>());
        Assert.True(columns["name"]["nullable"]!.GetValue<bool>());
        Assert.Equal("Double", columns["score"]["type"]!.GetValue<string>());
        Assert.Equal("Array", columns["tags"]["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_json_array_of_objects_previews_as_rows()
    {
        var response = await Support.RunAsync(_policy, InteractiveOperation.Preview, _linkedService, JsonDataset("array.json"));
        Assert.True(response.Succeeded, response.Message);
        Assert.Equal([1, 2, 3], response.Result!["rows"]!.AsArray().Select(r => r![0]!.GetValue<long>()));
    }

    [Fact]
    public async Task Broken_json_names_the_file_and_the_line()
    {
        var response = await Support.RunAsync(_policy, InteractiveOperation.Preview, _linkedService, JsonDataset("broken.json"));
        Assert.False(response.Succeeded);
        Assert.Equal(ErrorCodes.InvalidData, response.ErrorCode);
        Assert.Contains("broken.json", response.Message, StringComparison.Ordinal);
        Assert.Contains("line 2", response.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_file_and_a_forbidden_path_are_told_apart()
    {
        var missing = await Support.RunAsync(_policy, InteractiveOperation.Preview, _linkedService, Csv("nope.csv"));
        Assert.Equal(ErrorCodes.PathNotFound, missing.ErrorCode);

        var traversal = await Support.RunAsync(_policy, InteractiveOperation.Browse, _linkedService, path: "../..");
        Assert.Equal(ErrorCodes.PathNotAllowed, traversal.ErrorCode);

        var elsewhere = await Support.RunAsync(_policy, InteractiveOperation.TestConnection,
            Support.Json(new { type = "FileServer", typeProperties = new { host = "/etc" } }));
        Assert.Equal(ErrorCodes.PathNotAllowed, elsewhere.ErrorCode);
    }

    [Fact]
    public async Task Test_connection_reports_the_folder()
    {
        var response = await Support.RunAsync(_policy, InteractiveOperation.TestConnection, _linkedService);
        Assert.True(response.Succeeded, response.Message);
        Assert.Contains(_temp.Path, response.Result!["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    public void Dispose() => _temp.Dispose();
}
