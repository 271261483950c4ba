//! Great-circle distances and a static 3-d tree over points on the unit sphere.
//!
//! Points are stored as unit vectors; the great-circle distance d (km) between two
//! points corresponds to the straight-line chord 2·sin(d / 2R), which is monotone in
//! d, so "every depot within d km" is an exact ball query in 3-d. The tree is built once
//! per data snapshot in O(n log n); a query costs O(log n + k) for k results.

/// Mean Earth radius (IUGG), km.
pub const EARTH_RADIUS_KM: f64 = 6371.0088;

/// Half the Earth's circumference: no two points are farther apart.
pub const MAX_DISTANCE_KM: f64 = std::f64::consts::PI * EARTH_RADIUS_KM;

/// Great-circle distance by the haversine formula, km.
pub fn haversine_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * a.sqrt().min(1.0).asin()
}

/// A point as a unit vector.
pub fn unit_vector(lat: f64, lon: f64) -> [f64; 3] {
    let (p, l) = (lat.to_radians(), lon.to_radians());
    [p.cos() * l.cos(), p.cos() * l.sin(), p.sin()]
}

/// The chord length (unit sphere) of a great-circle distance in km.
pub fn chord_of_km(km: f64) -> f64 {
    let angle = (km / EARTH_RADIUS_KM).min(std::f64::consts::PI);
    2.0 * (angle / 2.0).sin()
}

fn dist2(a: &[f64; 3], b: &[f64; 3]) -> f64 {
    (a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)
}

/// A static k-d tree (k = 3) over items identified by index.
#[derive(Debug, Clone, Default)]
pub struct KdTree {
    /// Implicit balanced tree: the median of each range is its root.
    nodes: Vec<([f64; 3], usize)>,
}

impl KdTree {
    /// Builds the tree over `(lat, lon)` points; item i is `points[i]`.
    pub fn build(points: &[(f64, f64)]) -> Self {
        let mut nodes: Vec<([f64; 3], usize)> = points
            .iter()
            .enumerate()
            .map(|(i, (lat, lon))| (unit_vector(*lat, *lon), i))
            .collect();
        fn build_rec(nodes: &mut [([f64; 3], usize)], depth: usize) {
            if nodes.len() <= 1 {
                return;
            }
            let axis = depth % 3;
            let mid = nodes.len() / 2;
            nodes.select_nth_unstable_by(mid, |a, b| a.0[axis].total_cmp(&b.0[axis]));
            let (left, right) = nodes.split_at_mut(mid);
            build_rec(left, depth + 1);
            build_rec(&mut right[1..], depth + 1);
        }
        build_rec(&mut nodes, 0);
        Self { nodes }
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Calls `f(item)` for every item within `km` (great-circle) of `(lat, lon)`.
    pub fn within(&self, lat: f64, lon: f64, km: f64, f: &mut dyn FnMut(usize)) {
        if km < 0.0 {
            return;
        }
        let q = unit_vector(lat, lon);
        // A hair of slack against rounding; callers compute exact distances anyway.
        let r = chord_of_km(km) + 1e-12;
        Self::within_rec(&self.nodes, 0, &q, r, r * r, f);
    }

    fn within_rec(
        nodes: &[([f64; 3], usize)],
        depth: usize,
        q: &[f64; 3],
        r: f64,
        r2: f64,
        f: &mut dyn FnMut(usize),
    ) {
        if nodes.is_empty() {
            return;
        }
        let axis = depth % 3;
        let mid = nodes.len() / 2;
        let (p, item) = &nodes[mid];
        if dist2(p, q) <= r2 {
            f(*item);
        }
        let diff = q[axis] - p[axis];
        if diff <= r {
            Self::within_rec(&nodes[..mid], depth + 1, q, r, r2, f);
        }
        if diff >= -r {
            Self::within_rec(&nodes[mid + 1..], depth + 1, q, r, r2, f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_city_pairs_within_half_a_percent() {
        // Reference great-circle distances (km) on the mean-radius sphere.
        let pairs = [
            // Frankfurt - Hamburg
            ((50.11552, 8.68417), (53.55073, 9.99302), 393.0),
            // Santiago - Antofagasta
            ((-33.45694, -70.64827), (-23.65236, -70.3954), 1090.6),
            // Nairobi - Mombasa
            ((-1.28333, 36.81667), (-4.05466, 39.66359), 440.0),
            // Dubai - Abu Dhabi
            ((25.07725, 55.30927), (24.45118, 54.39696), 115.0),
            // London - New York
            ((51.50853, -0.12574), (40.71427, -74.00597), 5570.0),
        ];
        for ((a, b), (c, d), want) in pairs {
            let got = haversine_km(a, b, c, d);
            assert!(
                (got - want).abs() / want < 0.005,
                "({a},{b})-({c},{d}): {got} vs {want}"
            );
        }
    }

    #[test]
    fn tree_finds_exactly_what_brute_force_finds() {
        let mut seed = 7u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        let pts: Vec<(f64, f64)> = (0..500)
            .map(|_| (next() * 180.0 - 90.0, next() * 360.0 - 180.0))
            .collect();
        let tree = KdTree::build(&pts);
        assert_eq!(tree.len(), 500);
        for _ in 0..200 {
            let (lat, lon) = (next() * 180.0 - 90.0, next() * 360.0 - 180.0);
            let km = next() * 3000.0;
            let mut got = Vec::new();
            tree.within(lat, lon, km, &mut |i| got.push(i));
            got.sort_unstable();
            let want: Vec<usize> = pts
                .iter()
                .enumerate()
                .filter(|(_, (a, b))| haversine_km(lat, lon, *a, *b) <= km)
                .map(|(i, _)| i)
                .collect();
            // The tree may include points on the boundary within rounding; compare the
            // strict set.
            for w in &want {
                assert!(got.contains(w), "missing {w}");
            }
            for g in &got {
                let (a, b) = pts[*g];
                assert!(haversine_km(lat, lon, a, b) <= km + 1e-6);
            }
        }
    }
}
