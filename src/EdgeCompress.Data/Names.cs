using System.Text;

namespace EdgeCompress.Data;

/// <summary>The kebab-case names the preprocess enums have in JSON and messages (ShorterSideThenCenterCrop is
/// "shorter-side-then-center-crop", Float32 "float32").</summary>
internal static class Names
{
    /// <summary>The kebab-case name of an enum value.</summary>
    public static string Of<T>(T value) where T : struct, Enum
    {
        var pascal = value.ToString();
        var text = new StringBuilder(pascal.Length + 4);
        for (var i = 0; i < pascal.Length; i++)
        {
            if (i > 0 && char.IsUpper(pascal[i]))
            {
                text.Append('-');
            }
            text.Append(char.ToLowerInvariant(pascal[i]));
        }
        return text.ToString();
    }

    /// <summary>The enum value with this kebab-case name (exact, lower case), or null.</summary>
    public static T? Parse<T>(string text) where T : struct, Enum
    {
        foreach (var value in Enum.GetValues<T>())
        {
            if (string.Equals(Of(value), text, StringComparison.Ordinal))
            {
                return value;
            }
        }
        return null;
    }
}
