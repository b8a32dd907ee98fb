namespace EdgeCompress.Cli.Tests.Support;

/// <summary>Runs edgec in process through <see cref="EdgecApp.RunAsync"/>, capturing both streams.</summary>
public static class CliRunner
{
    public static async Task<CliResult> RunAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await EdgecApp.RunAsync(args, stdout, stderr);
        return new CliResult(code, stdout.ToString(), stderr.ToString());
    }
}
