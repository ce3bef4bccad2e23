namespace DuckEmbed.Cli.Tests;

public sealed class SearchCommandTests
{
    [Fact]
    public void A_stored_text_is_shown_without_the_escapes_and_control_characters_that_would_drive_the_terminal()
    {
        Assert.Equal("a\uFFFD[31mred\uFFFD next tab é", SearchCommand.Printable("a\u001b[31mred\u0007\nnext\ttab é"));
    }
}
