using System.CommandLine.Parsing;
using System.Globalization;

namespace DuckEmbed.Cli;

/// <summary>
/// Parses a flag's whole numbers with an error in the user's words: System.CommandLine's own names the .NET type
/// (<c>'System.Nullable`1[System.Int32]'</c>). The ranges are checked by the commands, which know them.
/// </summary>
internal static class WholeNumberParser
{
    public static int One(ArgumentResult result) => Parse(result, result.Tokens.Count > 0 ? result.Tokens[0].Value : "");

    public static int? Optional(ArgumentResult result) => One(result);

    public static int[] Many(ArgumentResult result) => [.. result.Tokens.Select(token => Parse(result, token.Value))];

    private static int Parse(ArgumentResult result, string token)
    {
        if (int.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
        {
            return number;
        }
        var name = (result.Parent as OptionResult)?.Option.Name ?? result.Argument.Name;
        result.AddError($"{name} must be a whole number, not '{token}'.");
        return 0;
    }
}
