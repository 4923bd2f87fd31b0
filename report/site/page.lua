-- baocao: the `{{< baocao-page NAME >}}` shortcode of the site's index.qmd. It puts in the
-- page body that the pre-render step wrote into build/site/NAME.md (src/baocao/site.py). A
-- shortcode runs when the page is rendered, after the pre-render step; Quarto's include
-- directive is read earlier, when the project's files are listed, before the body exists.
local function project_dir()
  if quarto and quarto.project and quarto.project.directory then
    return quarto.project.directory
  end
  return "."
end

return {
  ["baocao-page"] = function(args)
    local name = pandoc.utils.stringify(args[1])
    local path = project_dir() .. "/build/site/" .. name .. ".md"
    local file = io.open(path, "r")
    if file == nil then
      return pandoc.Para({ pandoc.Str("Chưa có trang: chạy `quarto render` (hoặc `baocao site`) ở thư mục dự án.") })
    end
    local text = file:read("a")
    file:close()
    return pandoc.read(text, "markdown").blocks
  end,
}
