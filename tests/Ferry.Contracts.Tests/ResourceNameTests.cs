using Ferry.Contracts.Names;

namespace Ferry.Contracts.Tests;

public class ResourceNameTests
{
    [Theory]
    [InlineData("ir1")]
    [InlineData("my-runtime-01")]
    [InlineData("ABC")]
    public void Names_of_letters_digits_and_inner_hyphens_are_valid(string name) => Assert.Null(ResourceName.Validate(name));

    [Theory]
    [InlineData("ab", "3 to 63")]
    [InlineData("", "empty")]
    [InlineData("my_runtime", "contains '_'")]
    [InlineData("my runtime", "contains ' '")]
    [InlineData("-runtime", "start and end")]
    [InlineData("runtime-", "start and end")]
    public void A_bad_name_says_which_rule_it_broke(string name, string rule)
    {
        var error = ResourceName.Validate(name);
        Assert.NotNull(error);
        Assert.Contains(rule, error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_name_of_64_characters_is_too_long()
    {
        Assert.Contains("64 characters", ResourceName.Validate(new string('a', 64)), StringComparison.Ordinal);
        Assert.Null(ResourceName.Validate(new string('a', 63)));
    }

    [Theory]
    [InlineData("node-1")]
    [InlineData("host.example.com")]
    [InlineData("WIN_BOX")]
    public void Machine_names_are_valid_node_names(string name) => Assert.Null(ResourceName.ValidateNodeName(name));

    [Theory]
    [InlineData("a b")]
    [InlineData("x/y")]
    [InlineData("")]
    public void Node_names_with_other_characters_are_refused(string name) => Assert.NotNull(ResourceName.ValidateNodeName(name));
}
