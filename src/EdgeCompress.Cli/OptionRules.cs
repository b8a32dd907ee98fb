using System.CommandLine;
using System.CommandLine.Parsing;

namespace EdgeCompress.Cli;

/// <summary>
/// Cross-option checks as System.CommandLine validators: they run at parse time, before any model or data is read, and
/// a broken rule is a parse error ("edgec: MESSAGE", exit 2). Rules are checked in order and only the first that fails
/// is reported, so a user sees one line.
/// </summary>
internal static class OptionRules
{
    /// <summary>Adds <paramref name="rules"/> to <paramref name="command"/>: each is (broken?, message).</summary>
    public static void Add(Command command, params (Func<CommandResult, bool> Broken, string Message)[] rules)
    {
        command.Validators.Add(result =>
        {
            foreach (var (broken, message) in rules)
            {
                if (broken(result))
                {
                    result.AddError(message);
                    return;
                }
            }
        });
    }

    /// <summary>--percentile must keep more than half of the values (quantize and qat share the rule).</summary>
    public static void Percentile(Option<double> option)
    {
        option.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<double>();
            if (value is <= 50 or > 100 || double.IsNaN(value))
            {
                result.AddError($"--percentile {value.ToString(System.Globalization.CultureInfo.InvariantCulture)}: must be above 50 and at most 100");
            }
        });
    }
}
