using EdgeCompress.Sensors;
using Microsoft.Extensions.Options;

namespace EdgeCompress.Daemon.Hosting;

/// <summary>Checks <see cref="EdgedOptions"/> at start; each failure names the setting, so the daemon stops with one clear line.</summary>
public sealed class EdgedOptionsValidator : IValidateOptions<EdgedOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, EdgedOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Store))
        {
            failures.Add("store: a directory is required");
        }

        if (string.IsNullOrWhiteSpace(options.TokenFile))
        {
            failures.Add("tokenFile: a file path is required");
        }

        if (options.MaxModelBytes <= 0)
        {
            failures.Add($"maxModelBytes: must be positive, got {options.MaxModelBytes}");
        }

        if (options.QuotaBytes <= 0)
        {
            failures.Add($"quotaBytes: must be positive, got {options.QuotaBytes}");
        }

        if (options.MaxInputBytes is <= 0)
        {
            failures.Add($"maxInputBytes: must be positive, got {options.MaxInputBytes}");
        }

        if (options.MaxVersionsPerModel is < 1 or > 1000)
        {
            failures.Add($"maxVersionsPerModel: must be 1 to 1000, got {options.MaxVersionsPerModel}");
        }

        if (options.MaxQueuedBenchmarks is < 1 or > 10_000)
        {
            failures.Add($"maxQueuedBenchmarks: must be 1 to 10000, got {options.MaxQueuedBenchmarks}");
        }

        if (!PowerSensorSettings.PowerChoices.Contains(options.Sensors.Power))
        {
            failures.Add($"sensors:power: '{options.Sensors.Power}' is not one of {string.Join(", ", PowerSensorSettings.PowerChoices)}");
        }

        if (options.Sensors.SampleRateHz is <= 0 or > 10_000 || double.IsNaN(options.Sensors.SampleRateHz))
        {
            failures.Add($"sensors:sampleRateHz: must be above 0 and at most 10000, got {options.Sensors.SampleRateHz}");
        }

        if (options.Profile is { } profile && !System.Text.RegularExpressions.Regex.IsMatch(profile, "^[a-z0-9][a-z0-9._-]{0,63}$"))
        {
            failures.Add($"profile: '{profile}' is not a profile id (lower-case letters, digits, '.', '-', '_')");
        }

        failures.AddRange(ListenAddresses.Check(options.Urls, options.AllowPlainHttp));
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
