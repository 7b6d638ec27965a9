using Ferry.Server.FactoryResources;
using Ferry.Server.LinkedServices;

namespace Ferry.Server.Datasets;

/// <summary>The dataset types Ferry reads and writes: which linked service type each needs, and the check of its typeProperties.</summary>
public static class DatasetTypes
{
    public sealed record DatasetType(string LinkedServiceType, Action<PropertyRules> Check);

    public static readonly IReadOnlyDictionary<string, DatasetType> All = new Dictionary<string, DatasetType>(StringComparer.OrdinalIgnoreCase)
    {
        ["PostgreSqlV2Table"] = new(LinkedServiceTypes.PostgreSqlV2, p => p.String("schema").String("table")),
        ["SqliteTable"] = new(LinkedServiceTypes.Sqlite, p => p.String("table")),
        ["DelimitedText"] = new(LinkedServiceTypes.FileServer, p =>
        {
            FileServerLocation(p);
            p.String("columnDelimiter").String("rowDelimiter").String("quoteChar").String("escapeChar").Bool("firstRowAsHeader")
                .String("encodingName").String("nullValue").String("compressionCodec");
        }),
        ["Json"] = new(LinkedServiceTypes.FileServer, p =>
        {
            FileServerLocation(p);
            p.String("encodingName");
        }),
    };


    private static void FileServerLocation(PropertyRules p)
    {
        var location = p.Require("location").Object("location")!;
        location.RequiredString("type").OneOf("type", "FileServerLocation").String("folderPath").String("fileName");
    }
}
