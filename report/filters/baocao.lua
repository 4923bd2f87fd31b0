--[[
baocao.lua: the report's one Lua filter, used by both render backends
(Quarto through `filters:` in _quarto.yml, the pandoc backend through --lua-filter).

What it does, per output format:
  both   table header cells        -> centred
         `tbl-colwidths="[5,40,…]"` -> relative column widths, table as wide as the text
                                      (the attribute Quarto itself honours; the composer
                                      writes it for wide tables)
  typst  other tables              -> column widths left to typst (auto)
         `# … {.part}` headings    -> #baocao-part[ … ]  (appendix: #baocao-part(appendix: true)[ … ])
         `::: {.part-title}`       -> #baocao-part-title[ … ]
         `::: {.part-note}`        -> #baocao-part-note[ … ]  ("(Kèm theo Báo cáo số …)")
         `::: {.landscape}`        -> #baocao-landscape[ … ]  (landscape pages; headings
                                      right before it move onto the landscape page)
         signature position        -> #baocao-signature-slot()  (filled by the typst layout
                                      from the `baocao:` metadata); the paragraph before it
                                      -> #baocao-keep-with-next[ … ] (never parted from it)
  docx   first page                -> the header blocks as a borderless two-column table
                                      (issuing body, Số | Quốc hiệu, tiêu ngữ, place and date),
                                      then "BÁO CÁO" and the summary, in the paragraph styles
                                      of report/word/reference.docx (custom-style)
         `::: {.part-title}` / `{.part-note}` -> styles "Part Title" / "Part Note"
         appendix part             -> starts on a new page
         images                    -> figures/<name>.png instead of .svg where it exists
         signature position        -> borderless two-column table: Nơi nhận | signer
         (under Quarto: table captions written as "Table Caption" paragraphs, see below)
  html   tables                    -> wrapped in <div class="table-wrap"> (scrolls on phones;
                                      class "wide" too when it has tbl-colwidths)
         figure images             -> `fig-alt` becomes the alt text (as Quarto does)
         signature position        -> <div class="signature"> built from the `baocao:` metadata
  other  untouched.

The signature block goes before the first `.appendix` part, or at the end of the document.

Safety: the filter never turns text into markup. Raw output is limited to fixed typst
wrapper code and fixed OpenXML table boundaries around content the document already holds;
metadata values stay pandoc inlines and are escaped by the writer like any other text.
]]

local is_typst = FORMAT:match("typst") ~= nil
local is_html = FORMAT:match("html") ~= nil
local is_docx = FORMAT:match("docx") ~= nil

local function typst(code)
  return pandoc.RawBlock("typst", code)
end

-- Wrap a list of blocks in a typst function call: `#fn[` blocks `]`.
local function typst_wrap(open, blocks)
  local out = pandoc.Blocks({ typst(open) })
  out:extend(blocks)
  out:insert(typst("]"))
  return out
end

local function is_part(block)
  return block.t == "Header" and block.classes:includes("part")
end

local function is_appendix(block)
  return is_part(block) and block.classes:includes("appendix")
end

-- Metadata value -> Inlines (nil when absent or empty).
local function meta_inlines(value)
  if value == nil then
    return nil
  end
  local kind = pandoc.utils.type(value)
  local result
  if kind == "Inlines" then
    result = value
  elseif kind == "Blocks" then
    result = pandoc.utils.blocks_to_inlines(value)
  elseif kind == "string" or kind == "boolean" or kind == "number" then
    result = pandoc.Inlines({ pandoc.Str(tostring(value)) })
  else
    return nil
  end
  if #result == 0 then
    return nil
  end
  return result
end

local function meta_list(value)
  if value == nil then
    return {}
  end
  if pandoc.utils.type(value) == "List" then
    return value
  end
  return { value }
end

-- HTML signature block and "Nơi nhận" from the `baocao:` metadata.
local function html_signature(meta)
  local info = meta.baocao
  if info == nil then
    return nil
  end
  local function line(class, inl)
    return pandoc.Div({ pandoc.Plain(inl) }, pandoc.Attr("", { class }))
  end

  local recipients = pandoc.Blocks({})
  for _, item in ipairs(meta_list(info["recipients"])) do
    local inl = meta_inlines(item)
    if inl then
      local text = pandoc.Inlines({ pandoc.Str("-"), pandoc.Space() })
      text:extend(inl)
      recipients:insert(line("recipient", text))
    end
  end
  if #recipients > 0 then
    recipients:insert(
      1,
      line("recipients-title", { pandoc.Strong({ pandoc.Emph({ pandoc.Str("Nơi"), pandoc.Space(), pandoc.Str("nhận:") }) }) })
    )
  end

  local signer = pandoc.Blocks({})
  for _, key in ipairs({ "signer-on-behalf", "signer-title" }) do
    local inl = meta_inlines(info[key])
    if inl then
      signer:insert(line(key, inl))
    end
  end
  local name = meta_inlines(info["signer-name"])
  if name then
    signer:insert(pandoc.Div({}, pandoc.Attr("", { "signer-space" })))
    signer:insert(line("signer-name", name))
  end

  if #recipients == 0 and #signer == 0 then
    return nil
  end
  return pandoc.Div({
    pandoc.Div(recipients, pandoc.Attr("", { "recipients" })),
    pandoc.Div(signer, pandoc.Attr("", { "signer" })),
  }, pandoc.Attr("", { "signature" }))
end


-- --- Word (docx) ------------------------------------------------------------------------
-- Word lays a header block out as a borderless table of two columns; the paragraphs in its
-- cells are ordinary pandoc blocks with a paragraph style of report/word/reference.docx
-- (custom-style), so their text is escaped by pandoc's writer like any other text. The raw
-- OpenXML here is fixed markup: table, row and cell boundaries, an empty ruled paragraph
-- and a page break; it never holds text from the document.

local function openxml(code)
  return pandoc.RawBlock("openxml", code)
end

-- Text width of the A4 page with NĐ 30 margins (210 - 30 - 15 mm), in twips.
local DOCX_TEXT_WIDTH = 9355

local function docx_table_open(widths)
  local grid = {}
  for _, w in ipairs(widths) do
    grid[#grid + 1] = '<w:gridCol w:w="' .. w .. '"/>'
  end
  local none = ""
  for _, side in ipairs({ "top", "left", "bottom", "right", "insideH", "insideV" }) do
    none = none .. "<w:" .. side .. ' w:val="nil"/>'
  end
  return '<w:tbl><w:tblPr><w:tblW w:w="' .. DOCX_TEXT_WIDTH .. '" w:type="dxa"/>'
    .. '<w:tblLayout w:type="fixed"/><w:tblBorders>' .. none .. "</w:tblBorders>"
    .. '<w:tblCellMar><w:left w:w="0" w:type="dxa"/><w:right w:w="0" w:type="dxa"/></w:tblCellMar>'
    .. '<w:tblLook w:val="0000" w:firstRow="0" w:lastRow="0" w:firstColumn="0" w:lastColumn="0" w:noHBand="1" w:noVBand="1"/>'
    .. "</w:tblPr><w:tblGrid>" .. table.concat(grid) .. "</w:tblGrid><w:tr><w:trPr><w:cantSplit/></w:trPr>"
end

local function docx_cell(width, blocks)
  local out = pandoc.Blocks({ openxml('<w:tc><w:tcPr><w:tcW w:w="' .. width .. '" w:type="dxa"/></w:tcPr>') })
  if #blocks == 0 then
    out:insert(openxml("<w:p/>"))
  else
    out:extend(blocks)
  end
  out:insert(openxml("</w:tc>"))
  return out
end

-- A borderless table of two columns as wide as the text, the left one `left_width` twips.
local function docx_columns(left_width, left, right)
  local out = pandoc.Blocks({ openxml(docx_table_open({ left_width, DOCX_TEXT_WIDTH - left_width })) })
  out:extend(docx_cell(left_width, left))
  out:extend(docx_cell(DOCX_TEXT_WIDTH - left_width, right))
  out:insert(openxml("</w:tr></w:tbl>"))
  return out
end

-- A paragraph in one of reference.docx's styles, holding metadata inlines (nil: nothing).
local function styled(style, inlines)
  if inlines == nil then
    return nil
  end
  return pandoc.Div({ pandoc.Para(inlines) }, pandoc.Attr("", {}, { ["custom-style"] = style }))
end

local function ruled(style)
  return openxml('<w:p><w:pPr><w:pStyle w:val="' .. style .. '"/></w:pPr></w:p>')
end

local DOCX_PAGE_BREAK = '<w:p><w:r><w:br w:type="page"/></w:r></w:p>'

local function add(blocks, block)
  if block ~= nil then
    blocks:insert(block)
  end
end

-- The first page's blocks: issuing body and number | national title, motto, place and date;
-- then the document type and its summary, with a short rule under them.
local function docx_title_block(meta)
  local info = meta.baocao or {}
  local left, right = pandoc.Blocks({}), pandoc.Blocks({})
  add(left, styled("Issuer Parent", meta_inlines(info["body-parent"])))
  add(left, styled("Issuer Name", meta_inlines(info["body-name"])))
  if meta_inlines(info["body-name"]) then
    left:insert(ruled("IssuerRule"))
  end
  add(left, styled("Document Number", meta_inlines(info["number"])))
  add(right, styled("National Title", meta_inlines(info["nation"])))
  add(right, styled("Motto", meta_inlines(info["motto"])))
  add(right, styled("Place and Date", meta_inlines(info["place-date"])))
  local out = pandoc.Blocks({})
  if #left > 0 or #right > 0 then
    -- The issuing body's column: 43% of the text width, as in the PDF.
    out:extend(docx_columns(4023, left, right))
  end
  local doc_type = meta_inlines(info["doc-type"]) or meta_inlines(meta.title)
  local summary = meta_inlines(meta.subtitle)
  add(out, styled("Document Type", doc_type))
  add(out, styled("Document Summary", summary))
  if doc_type or summary then
    out:insert(ruled("SummaryRule"))
  end
  return out
end

local function docx_signature(meta)
  local info = meta.baocao
  if info == nil then
    return nil
  end
  local left, right = pandoc.Blocks({}), pandoc.Blocks({})
  for _, item in ipairs(meta_list(info["recipients"])) do
    local inl = meta_inlines(item)
    if inl then
      local text = pandoc.Inlines({ pandoc.Str("-"), pandoc.Space() })
      text:extend(inl)
      left:insert(styled("Recipient", text))
    end
  end
  if #left > 0 then
    left:insert(1, styled("Recipients Title", { pandoc.Str("Nơi"), pandoc.Space(), pandoc.Str("nhận:") }))
  end
  add(right, styled("Signer Title", meta_inlines(info["signer-on-behalf"])))
  add(right, styled("Signer Title", meta_inlines(info["signer-title"])))
  add(right, styled("Signer Name", meta_inlines(info["signer-name"])))
  if #left == 0 and #right == 0 then
    return nil
  end
  -- An empty line above it, then Nơi nhận | signer, each half the text width.
  local out = pandoc.Blocks({ openxml("<w:p/>") })
  out:extend(docx_columns(math.floor(DOCX_TEXT_WIDTH / 2), left, right))
  return pandoc.Div(out)
end

local function signature_block(meta)
  if is_docx then
    return docx_signature(meta)
  elseif is_typst then
    return typst("#baocao-signature-slot()")
  elseif is_html then
    return html_signature(meta)
  end
  return nil
end

local function Header(el)
  if is_typst and is_part(el) then
    local new_page = is_appendix(el) and el.attributes["baocao-new-page"] ~= "done"
    el.attributes["baocao-new-page"] = nil
    local open = new_page and "#baocao-part(appendix: true)[" or "#baocao-part["
    return typst_wrap(open, { el })
  end
  if is_docx and is_appendix(el) then
    -- An appendix starts on a new page.
    return { openxml(DOCX_PAGE_BREAK), el }
  end
  return nil
end

local function Div(el)
  if is_typst then
    if el.classes:includes("part-title") then
      return typst_wrap("#baocao-part-title[", el.content)
    elseif el.classes:includes("part-note") then
      return typst_wrap("#baocao-part-note[", el.content)
    elseif el.classes:includes("landscape") then
      return typst_wrap("#baocao-landscape[", el.content)
    end
  elseif is_docx then
    if el.classes:includes("landscape") then
      -- Word pages stay portrait: Quarto would turn this div into section breaks that lose
      -- the reference document's page size, margins and page numbers (Quarto 1.7); the
      -- wide tables fit the text width with narrower columns instead.
      el.classes = el.classes:filter(function(c)
        return c ~= "landscape"
      end)
      return el
    elseif el.classes:includes("part-title") then
      el.attributes["custom-style"] = "Part Title"
      return el
    elseif el.classes:includes("part-note") then
      el.attributes["custom-style"] = "Part Note"
      return el
    end
  end
  return nil
end

-- Header cells centred (Vietnamese tables: centred bold headings); body cells keep the
-- pipe table's column alignment (numbers right-aligned).
local function centre_header(el)
  for _, row in ipairs(el.head.rows) do
    for _, cell in ipairs(row.cells) do
      cell.alignment = pandoc.AlignCenter
    end
  end
end

-- `tbl-colwidths="[5, 40, 12]"` -> { 0.0877, 0.7017, 0.2105 }, or nil when absent, when
-- the count does not match the columns, or when a value is not a positive number.
local function colwidths(el)
  local spec = el.attributes["tbl-colwidths"]
  if spec == nil then
    return nil
  end
  local values, total = {}, 0
  for item in spec:gmatch("[^%[%],%s]+") do
    local n = tonumber(item)
    if n == nil or n <= 0 then
      return nil
    end
    values[#values + 1] = n
    total = total + n
  end
  if #values ~= #el.colspecs then
    return nil
  end
  for i, n in ipairs(values) do
    values[i] = n / total
  end
  return values
end

-- Under Quarto a filter sees a pipe table's trailing `{tbl-colwidths="[…]"}` still as caption
-- text (Quarto parses it after the user filters). Move it into the table's attributes, as
-- plain pandoc has it, so that both backends size and class the table the same way.
local function colwidths_from_caption(el)
  local caption = el.caption.long
  if #caption == 0 or el.attributes["tbl-colwidths"] ~= nil then
    return
  end
  local last = caption[#caption]
  if last.t ~= "Plain" and last.t ~= "Para" then
    return
  end
  -- stringify writes smart quotes as “…”
  local text = pandoc.utils.stringify(last.content):gsub("“", '"'):gsub("”", '"')
  local spec = text:match('{tbl%-colwidths="?(%[[%d%s,%.]*%])"?}%s*$')
  if spec == nil then
    return
  end
  local inlines = last.content
  while #inlines > 0 and pandoc.utils.stringify(inlines):find("{tbl-colwidths=", 1, true) do
    inlines:remove(#inlines)
  end
  while #inlines > 0 and (inlines[#inlines].t == "Space" or inlines[#inlines].t == "SoftBreak") do
    inlines:remove(#inlines)
  end
  last.content = inlines
  el.attributes["tbl-colwidths"] = spec
end

-- Quarto 1.7's typst output drops the caption of a table that has no #tbl- label
-- (quarto-cli #11733). Write the figure pandoc's own typst writer writes for a captioned
-- table, around the table without its caption; the caption is typst from pandoc's writer,
-- so its text is escaped like any other text.
local function quarto_typst_table_figure(el)
  local caption = pandoc.utils.blocks_to_inlines(el.caption.long)
  if #caption == 0 then
    return el
  end
  local caption_typst = pandoc.write(pandoc.Pandoc({ pandoc.Plain(caption) }), "typst")
  el.caption = pandoc.Caption()
  return pandoc.Blocks({
    typst("#figure(align(center)["),
    el,
    typst("], kind: table, caption: [" .. caption_typst:gsub("%s+$", "") .. "])"),
  })
end

-- Quarto 1.7's docx output drops the caption of a table without a #tbl- label too: write it
-- as the paragraph pandoc's docx writer writes for a caption (style "Table Caption", above
-- the table, kept with it).
local function quarto_docx_table_caption(el)
  local caption = pandoc.utils.blocks_to_inlines(el.caption.long)
  if #caption == 0 then
    return el
  end
  el.caption = pandoc.Caption()
  return pandoc.Blocks({ styled("Table Caption", caption), el })
end

local function Table(el)
  if not (is_typst or is_html or is_docx) then
    return nil
  end
  centre_header(el)
  if quarto ~= nil then
    colwidths_from_caption(el)
  end
  local widths = colwidths(el)
  el.attributes["tbl-colwidths"] = nil
  for i, spec in ipairs(el.colspecs) do
    -- Without tbl-colwidths, pipe-table widths come from the dash counts in the composed
    -- source, which are arbitrary: typst and the browser size such columns to content.
    el.colspecs[i] = { spec[1], widths and widths[i] or pandoc.ColWidthDefault }
  end
  if is_html then
    -- Tables with set widths are wide ones: on a phone they keep a readable width and
    -- scroll inside their wrapper (see report/html/baocao.css).
    local classes = { "table-wrap" }
    if widths ~= nil then
      classes[2] = "wide"
    end
    return pandoc.Div({ el }, pandoc.Attr("", classes))
  end
  if quarto ~= nil and is_docx then
    return quarto_docx_table_caption(el)
  end
  if quarto ~= nil then
    return quarto_typst_table_figure(el)
  end
  return el
end

-- Word: a chart as PNG (figures/<name>.png, drawn with its SVG) where there is one: Word
-- before 2016 and some viewers show no SVG.
local function docx_png(src)
  local png = src:gsub("%.svg$", ".png")
  if png == src then
    return nil
  end
  local fh = io.open(png, "rb")
  if fh == nil then
    return nil
  end
  fh:close()
  return png
end

local function Image(el)
  if is_docx then
    local png = docx_png(el.src)
    if png ~= nil then
      el.src = png
      return el
    end
    return nil
  end
  -- Quarto maps fig-alt itself; plain pandoc does not.
  if is_html and quarto == nil then
    local alt = el.attributes["fig-alt"]
    if alt ~= nil and alt ~= "" then
      el.attributes["fig-alt"] = nil
      el.attributes["alt"] = alt
      return el
    end
  end
  return nil
end

local function is_heading_like(block)
  return block.t == "Header"
    or (block.t == "Div" and (block.classes:includes("part-title") or block.classes:includes("part-note")))
end

-- A landscape div starts a new page; headings right before it (e.g. the appendix part
-- heading and its title) would be stranded on a page of their own, so they move onto the
-- landscape page with it.
local function pull_headings_into_landscape(blocks)
  local out = pandoc.Blocks({})
  for _, block in ipairs(blocks) do
    if block.t == "Div" and block.classes:includes("landscape") then
      local moved = pandoc.Blocks({})
      while #out > 0 and is_heading_like(out[#out]) do
        local heading = out:remove(#out)
        if heading.t == "Header" then
          -- The landscape page already starts a new page.
          heading.attributes["baocao-new-page"] = "done"
        end
        moved:insert(1, heading)
      end
      moved:extend(block.content)
      block.content = moved
    end
    out:insert(block)
  end
  return out
end

-- Place the signature block (before the first appendix part, else at the end), then map
-- the elements. The signature is placed first so that the walk below sees it too.
local function Pandoc(doc)
  if not (is_typst or is_html or is_docx) then
    return nil
  end
  local sig = signature_block(doc.meta)
  if sig ~= nil then
    local blocks = pandoc.Blocks({})
    local placed = false
    local function place()
      -- typst: the closing paragraph goes to the next page with the signature, if need be.
      if is_typst and #blocks > 0 and blocks[#blocks].t == "Para" then
        local last = blocks:remove(#blocks)
        blocks:extend(typst_wrap("#baocao-keep-with-next[", { last }))
      end
      blocks:insert(sig)
      placed = true
    end
    for _, block in ipairs(doc.blocks) do
      if not placed and is_appendix(block) then
        place()
      end
      blocks:insert(block)
    end
    if not placed then
      place()
    end
    doc.blocks = blocks
  end
  if is_typst then
    doc.blocks = pull_headings_into_landscape(doc.blocks)
  end
  if is_docx then
    -- The first page's header blocks open the body. pandoc's own title block (title,
    -- subtitle, author, date) still comes before them, for Word's document properties,
    -- in styles that report/word/reference.docx hides.
    local first = docx_title_block(doc.meta)
    first:extend(doc.blocks)
    doc.blocks = first
  end
  return doc:walk({ Header = Header, Div = Div, Table = Table, Image = Image })
end

return { { Pandoc = Pandoc } }
