using Ferry.NodeCli.Actions;

namespace Ferry.Node.Tests;

public class DmgActionTests
{
    [Theory]
    [InlineData("-rn", "RegisterNewNode")]
    [InlineData("-RegisterNewNode", "RegisterNewNode")]
    [InlineData("-registernewnode", "RegisterNewNode")]
    [InlineData("-K", "Key")]
    [InlineData("-cgc", "CheckGatewayConnection")]
    [InlineData("/Stop", "Stop")]
    [InlineData("-status", "Status")]
    public void Actions_are_found_by_short_or_long_name_whatever_the_case(string flag, string action) =>
        Assert.Equal(action, DmgAction.Find(flag)?.Long);

    [Fact]
    public void Every_action_of_the_reference_table_is_known()
    {
        string[] reference = ["rn", "era", "erac", "dra", "k", "gbf", "ibf", "r", "s", "t", "sus", "tus", "tonau", "toffau", "ssa", "elma", "dlma",
            "DisableLocalFolderPathValidation", "EnableLocalFolderPathValidation", "eesp", "desp", "gesp"];

        Assert.All(reference, flag => Assert.NotNull(DmgAction.Find("-" + flag)));
    }

    [Fact]
    public void Unknown_flags_are_not_actions() => Assert.Null(DmgAction.Find("-frobnicate"));
}
