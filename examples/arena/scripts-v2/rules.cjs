// Arena rules, season 2: every move scores two points.
module.exports = {
  version: 'v2',
  pointsForMove() {
    return 2;
  },
};
