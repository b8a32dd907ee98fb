using System.Management.Automation.Language;
using System.Xml.Linq;
using EdgeCompress.Arm64.Tests.Support;

namespace EdgeCompress.Arm64.Tests;

/// <summary>
/// publish.ps1 cannot run here (no PowerShell), so it is held to what can be checked: PowerShell's own parser finds
/// no error, and the one command it runs is `dotnet publish` of the daemon project with the settings a plain publish
/// uses, so the tested MSBuild recipe is what Windows and macOS users get too.
/// </summary>
public sealed class PublishRecipeTests
{
    private static string Root => Processes.RepositoryRoot();

    [Fact]
    public void Publish_ps1_parses_without_errors_and_runs_dotnet_publish_of_the_daemon_with_the_msbuild_recipe()
    {
        var ast = Parser.ParseFile(Path.Combine(Root, "publish.ps1"), out _, out var errors);

        Assert.True(errors.Length == 0, string.Join('\n', errors.Select(e => $"publish.ps1:{e.Extent.StartLineNumber}: {e.Message}")));
        var commands = ast.FindAll(node => node is CommandAst, searchNestedScriptBlocks: true).Cast<CommandAst>()
            .Where(c => c.GetCommandName() == "dotnet").ToArray();
        var publish = Assert.Single(commands);
        var words = publish.CommandElements.Select(Text).ToArray();
        Assert.Equal("publish", words[1]);
        Assert.Equal("$project", words[2]);
        Assert.Equal(["-c", "Release", "-r", "$Runtime", "-o", "$Output", "-p:Version=$Version", "-p:EdgedTarball=true"], words[3..]);
        var project = ast.FindAll(n => n is AssignmentStatementAst a && a.Left.Extent.Text == "$project", true).Cast<AssignmentStatementAst>().Single();
        Assert.Contains("'src/EdgeCompress.Daemon/EdgeCompress.Daemon.csproj'", project.Right.Extent.Text, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(Root, "src/EdgeCompress.Daemon/EdgeCompress.Daemon.csproj")));
    }

    [Fact]
    public void Publish_ps1_offers_exactly_the_runtime_identifiers_the_msbuild_recipe_supports_and_the_runtime_output_version_parameters()
    {
        var ast = Parser.ParseFile(Path.Combine(Root, "publish.ps1"), out _, out _);
        var parameters = ast.ParamBlock.Parameters.ToDictionary(p => p.Name.VariablePath.UserPath, StringComparer.OrdinalIgnoreCase);

        var offered = parameters["Runtime"].Attributes.OfType<AttributeAst>().Single(a => a.TypeName.Name == "ValidateSet")
            .PositionalArguments.Cast<StringConstantExpressionAst>().Select(s => s.Value).Order(StringComparer.Ordinal);
        var supported = XDocument.Load(Path.Combine(Root, "eng/Publish.props")).Descendants("EdgedSupportedRuntimeIdentifiers").Single().Value
            .Split(';').Order(StringComparer.Ordinal);

        Assert.Equal(["Output", "Runtime", "Version"], parameters.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(supported, offered);
    }

    [Fact]
    public void Publishing_edged_for_an_unsupported_runtime_identifier_fails_with_one_line_naming_the_supported_ones()
    {
        var (exitCode, log) = Processes.Run("dotnet",
            ["publish", Path.Combine(Root, "src/EdgeCompress.Daemon/EdgeCompress.Daemon.csproj"), "-c", "Release", "-r", "linux-riscv64",
             "-nologo", "--disable-build-servers", "-nodeReuse:false", "-o", Path.Combine(Path.GetTempPath(), "edged-never-written")],
            TimeSpan.FromMinutes(3));

        var errors = log.Split('\n').Where(l => l.Contains(": error ", StringComparison.Ordinal)).Distinct().ToArray();
        Assert.NotEqual(0, exitCode);
        var error = Assert.Single(errors);
        Assert.Contains("error EDGED001: edged cannot be published for runtime identifier 'linux-riscv64'; supported: linux-arm64, linux-x64", error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(Path.GetTempPath(), "edged-never-written")), "an output folder was created");
    }

    private static string Text(CommandElementAst element) => element switch
    {
        StringConstantExpressionAst constant => constant.Value,
        ExpandableStringExpressionAst expandable => expandable.Value,
        _ => element.Extent.Text,
    };
}
