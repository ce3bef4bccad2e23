namespace DuckEmbed.Processor.Database;

/// <summary>"Did you mean" for names that were not found.</summary>
internal static class NameSuggestions
{
    /// <summary>A clause listing the names closest to <paramref name="wanted"/>, or all of a short list.</summary>
    public static string For(string wanted, IReadOnlyCollection<string> available)
    {
        if (available.Count == 0)
        {
            return "there are none";
        }
        var close = available
            .Select(name => (name, distance: Distance(wanted.ToLowerInvariant(), name.ToLowerInvariant())))
            .Where(c => c.distance <= Math.Max(2, wanted.Length / 3))
            .OrderBy(c => c.distance).Select(c => c.name).Take(3).ToList();
        return close.Count > 0
            ? "did you mean " + string.Join(" or ", close.Select(n => $"'{n}'")) + "?"
            : "available: " + string.Join(", ", available.Take(10).Select(n => $"'{n}'")) + (available.Count > 10 ? ", …" : "");
    }

    private static int Distance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        var current = new int[b.Length + 1];
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(substitution, Math.Min(previous[j], current[j - 1]) + 1);
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
