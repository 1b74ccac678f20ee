// The bitmap font the plots write their titles, labels and numbers with.
//
// Each printable ASCII character (32..126) is a 5 x 9 grid of pixels: rows 0..6 hold capitals
// and digits (the baseline is row 6), rows 7..8 hold the descenders of g, j, p, q, y and the
// comma. Glyphs sit in 6-pixel cells, so one blank column separates neighbours.
#pragma once

#include <cstdint>

namespace latent {

constexpr int kGlyphWidth = 5;    // pixels a glyph may cover, left to right
constexpr int kGlyphHeight = 9;   // rows, descenders included
constexpr int kGlyphAdvance = 6;  // distance from one glyph's left edge to the next one's

// The rows of character `c`, top first. Bit 4 of a row is the leftmost pixel, bit 0 the
// rightmost; bits above 4 are never set. A character outside 32..126 gets the glyph of '?', so
// a stray control byte shows up visibly instead of vanishing.
const uint8_t* GlyphRows(char c);

}  // namespace latent
