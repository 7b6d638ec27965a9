using Ferry.Server.FactoryResources;
using Ferry.Server.LinkedServices;

namespace Ferry.Server.Datasets;

/// <summary>The dataset types Ferry reads and writes: which linked service type each needs, and the check of its typeProperties.</summary>
public static class DatasetTypes
{
    /// <summary>A dataset type: the linked service types it may name (a file format: a FileServer or, to read, an HttpServer) and its check.</summary>
    public sealed record DatasetType(IReadOnlyList<string> LinkedServiceTypes, Action<PropertyRules> Check);

    private static readonly string[] FileStores = [LinkedServiceTypes.FileServer, LinkedServiceTypes.HttpServer];

    public static readonly IReadOnlyDictionary<string, DatasetType> All = new Dictionary<string, DatasetType>(StringComparer.OrdinalIgnoreCase)
    {
        ["PostgreSqlV2Table"] = new([LinkedServiceTypes.PostgreSqlV2], p => p.String("schema").String("table")),
        ["SqliteTable"] = new([LinkedServiceTypes.Sqlite], p => p.String("table")),
        ["DelimitedText"] = new(FileStores, p =>
        {
            Location(p);
            p.String("columnDelimiter").String("rowDelimiter").String("quoteChar").String("escapeChar").Bool("firstRowAsHeader")
                .String("encodingName").String("nullValue").String("compressionCodec");
        }),
        ["Json"] = new(FileStores, p =>
        {
            Location(p);
            p.String("encodingName");
        }),
        ["Parquet"] = new(FileStores, p =>
        {
            Location(p);
            p.String("compressionCodec");
        }),
    };


    /// <summary>A file's location: FileServerLocation (folderPath, fileName) or HttpServerLocation (relativeUrl), as its linked service is.</summary>
    private static void Location(PropertyRules p)
    {
        var location = p.Require("location").Object("location")!;
        location.RequiredString("type").OneOf("type", "FileServerLocation", "HttpServerLocation").String("folderPath").String("fileName").String("relativeUrl");
    }
}
